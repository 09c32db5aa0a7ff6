Instance: example-insured-patient
InstanceOf: InsuredPatient
Title: "Wei Zhang, insured person"
Usage: #example
* identifier[medicalInsuranceNumber].system = $MIN
* identifier[medicalInsuranceNumber].value = "MI-110101-0001"
* identifier[citizenId].system = $CID
* identifier[citizenId].value = "110101198005010021"
* name.family = "Zhang"
* name.given = "Wei"
* gender = #female
* birthDate = "1980-05-01"

Instance: example-hospital
InstanceOf: Organization
Usage: #example
* name = "Designated Hospital No. 1"

Instance: example-coverage
InstanceOf: InsuranceCoverage
Usage: #example
* status = #active
* type.text = "Employee basic medical insurance"
* beneficiary = Reference(example-insured-patient)
* payor = Reference(example-hospital)
* period.start = "2026-01-01"

Instance: example-account
InstanceOf: PersonalAccount
Usage: #example
* status = #active
* subject = Reference(example-insured-patient)

Instance: example-encounter
InstanceOf: InsuredEncounter
Usage: #example
* status = #finished
* class = http://terminology.hl7.org/CodeSystem/v3-ActCode#IMP "inpatient encounter"
* subject = Reference(example-insured-patient)
* serviceProvider = Reference(example-hospital)
* period.start = "2026-03-01"
* period.end = "2026-03-05"

Instance: example-claim
InstanceOf: InsuranceClaim
Usage: #example
* status = #active
* type = http://terminology.hl7.org/CodeSystem/claim-type#institutional
* use = #claim
* patient = Reference(example-insured-patient)
* created = "2026-03-05"
* provider = Reference(example-hospital)
* priority = http://terminology.hl7.org/CodeSystem/processpriority#normal
* insurance.sequence = 1
* insurance.focal = true
* insurance.coverage = Reference(example-coverage)
* total.value = 12000
* total.currency = #CNY

Instance: example-settlement
InstanceOf: Settlement
Usage: #example
* status = #active
* type = http://terminology.hl7.org/CodeSystem/claim-type#institutional
* use = #claim
* patient = Reference(example-insured-patient)
* created = "2026-03-06"
* insurer = Reference(example-hospital)
* provider = Reference(example-hospital)
* outcome = #complete
* insurance.focal = true
* insurance.coverage = Reference(example-coverage)
* total[0].category = InsuranceFund#pooled
* total[0].amount.value = 8400
* total[0].amount.currency = #CNY
* total[1].category = InsuranceFund#personal-account
* total[1].amount.value = 1600
* total[1].amount.currency = #CNY
* total[2].category = InsuranceFund#self-pay
* total[2].amount.value = 2000
* total[2].amount.currency = #CNY

Instance: example-dispense
InstanceOf: InsuredMedicationDispense
Usage: #example
* status = #completed
* medicationCodeableConcept.text = "Metformin 500 mg tablets"
* subject = Reference(example-insured-patient)
* quantity.value = 60
* whenHandedOver = "2026-03-05T10:00:00+08:00"

Instance: example-consumable
InstanceOf: ConsumableUse
Usage: #example
* status = #billed
* code.text = "Insulin syringe"
* subject = Reference(example-insured-patient)
* quantity.value = 30
* occurrenceDateTime = "2026-03-05T10:00:00+08:00"

Instance: example-device
InstanceOf: Device
Usage: #example
* deviceName.name = "Home blood pressure monitor"
* deviceName.type = #user-friendly-name

Instance: example-device-observation
InstanceOf: DeviceObservation
Usage: #example
* status = #final
* category = $obs-category#vital-signs
* code = $loinc#8867-4 "Heart rate"
* subject = Reference(example-insured-patient)
* device = Reference(example-device)
* effectiveDateTime = "2026-10-01T08:00:00+08:00"
* valueQuantity = 72 '/min' "beats/minute"

Instance: example-family-relationship
InstanceOf: FamilyRelationship
Usage: #example
* patient = Reference(example-insured-patient)
* relationship = $v3-RoleCode#SPS "spouse"
* name.family = "Li"
* name.given = "Ming"

Instance: example-contribution
InstanceOf: Contribution
Usage: #example
* code = $insured#contribution
* subject = Reference(example-insured-patient)
* created = "2026-02-01"
* extension[payer].valueCode = #employer
* extension[fund].valueCode = #pooled
* extension[status].valueCode = #paid
* extension[period].valuePeriod.start = "2026-01-01"
* extension[period].valuePeriod.end = "2026-01-31"
* extension[amount].valueMoney.value = 560
* extension[amount].valueMoney.currency = #CNY
* extension[baseAmount].valueMoney.value = 8000
* extension[baseAmount].valueMoney.currency = #CNY
* extension[rate].valueDecimal = 0.07

Instance: example-credit-record
InstanceOf: CreditRecord
Usage: #example
* code = $insured#credit-record
* subject = Reference(example-insured-patient)
* created = "2026-04-01"
* extension[recordType].valueCode = #overdue-contribution
* extension[rating].valueCode = #B
* extension[source].valueString = "Municipal medical insurance bureau"
* extension[date].valueDateTime = "2026-03-31"

Instance: example-account-transaction
InstanceOf: AccountTransaction
Usage: #example
* code = $insured#account-transaction
* subject = Reference(example-insured-patient)
* created = "2026-03-05"
* extension[transactionType].valueCode = #settlement-debit
* extension[amount].valueMoney.value = 1600
* extension[amount].valueMoney.currency = #CNY
* extension[balanceAfter].valueMoney.value = 2400
* extension[balanceAfter].valueMoney.currency = #CNY
* extension[account].valueReference = Reference(example-account)
* extension[date].valueDateTime = "2026-03-05T10:30:00+08:00"
