Profile: InsuredPatient
Parent: Patient
Id: insured-patient
Title: "Insured person"
Description: "A person insured by the medical insurance scheme, identified by the national medical insurance number."
* identifier 1..*
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains medicalInsuranceNumber 1..1 and citizenId 0..1
* identifier[medicalInsuranceNumber].system 1..1
* identifier[medicalInsuranceNumber].system = $MIN (exactly)
* identifier[medicalInsuranceNumber].value 1..1
* identifier[citizenId].system 1..1
* identifier[citizenId].system = $CID (exactly)
* identifier[citizenId].value 1..1
* name 1..*
* gender 1..1
* birthDate 1..1
* obeys insured-1

Invariant: insured-1
Description: "The insured person has exactly one medical insurance number."
Expression: "identifier.where(system = 'http://insured.example.org/fhir/sid/medical-insurance-number').count() = 1"
Severity: #error

Profile: InsuranceCoverage
Parent: Coverage
Id: insured-coverage
Title: "Insurance coverage"
Description: "The insured person's membership of a scheme (employee or resident) for a period."
* beneficiary only Reference(InsuredPatient)
* period 1..1
* payor 1..*
* type 1..1

Profile: PersonalAccount
Parent: Account
Id: personal-account
Title: "Personal medical insurance account"
Description: "The per-person balance of the employee scheme that pays small outpatient and pharmacy costs."
* subject 1..1
* subject only Reference(InsuredPatient)
* status = #active (exactly)

Profile: InsuredEncounter
Parent: Encounter
Id: insured-encounter
Title: "Hospital encounter"
Description: "A visit or stay at an insurance-designated hospital."
* subject 1..1
* subject only Reference(InsuredPatient)
* serviceProvider 1..1
* period 1..1

Profile: InsuranceClaim
Parent: Claim
Id: insured-claim
Title: "Settlement claim"
Description: "The claim a designated hospital or pharmacy submits for settlement."
* patient only Reference(InsuredPatient)
* total 1..1

Profile: Settlement
Parent: ExplanationOfBenefit
Id: settlement
Title: "Settlement"
Description: "The settled amounts of a claim, split into pooled-fund, personal-account and self-paid parts."
* patient only Reference(InsuredPatient)
* total 3..*
* total.category from InsuranceFundVS (required)
* obeys settlement-1

Invariant: settlement-1
Description: "The settlement states the pooled-fund, personal-account and self-paid amounts."
Expression: "total.category.coding.where(system = 'http://insured.example.org/fhir/CodeSystem/insurance-fund').code.distinct().count() = 3"
Severity: #error

Profile: InsuredMedicationDispense
Parent: MedicationDispense
Id: insured-medication-dispense
Title: "Medicine dispensed"
Description: "A medicine dispensed to an insured person at a designated hospital or pharmacy."
* subject 1..1
* subject only Reference(InsuredPatient)
* quantity 1..1
* whenHandedOver 1..1

Profile: ConsumableUse
Parent: ChargeItem
Id: consumable-use
Title: "Medical consumable used"
Description: "A medical consumable used in care and charged (R4 has no better fit than ChargeItem for charged supplies)."
* subject only Reference(InsuredPatient)
* quantity 1..1
* occurrence[x] 1..1

Profile: DeviceObservation
Parent: Observation
Id: device-observation
Title: "Device reading"
Description: "A reading from a wearable or home monitoring device."
* subject 1..1
* subject only Reference(InsuredPatient)
* device 1..1
* effective[x] 1..1
* value[x] 1..1

Profile: FamilyRelationship
Parent: RelatedPerson
Id: family-relationship
Title: "Family relationship"
Description: "A family member of an insured person (spouse, parent, child...)."
* patient only Reference(InsuredPatient)
* relationship 1..*
* relationship from FamilyRelationshipVS (required)

Profile: Contribution
Parent: Basic
Id: contribution
Title: "Contribution"
Description: "A contribution due into the medical insurance funds for a period: payer, fund, amount, status."
* code = $insured#contribution
* subject 1..1
* subject only Reference(InsuredPatient)
* created 1..1
* extension ^slicing.discriminator.type = #value
* extension ^slicing.discriminator.path = "url"
* extension ^slicing.rules = #closed
* extension contains
    ContributionPayerExt named payer 1..1 and
    InsuranceFundExt named fund 1..1 and
    ContributionStatusExt named status 1..1 and
    CoveredPeriod named period 1..1 and
    Amount named amount 1..1 and
    BaseAmount named baseAmount 0..1 and
    ContributionRate named rate 0..1

Profile: CreditRecord
Parent: Basic
Id: credit-record
Title: "Credit record"
Description: "A record relevant to insurance integrity and finance (fraud finding, overdue contributions, credit history)."
* code = $insured#credit-record
* subject 1..1
* subject only Reference(InsuredPatient)
* created 1..1
* extension ^slicing.discriminator.type = #value
* extension ^slicing.discriminator.path = "url"
* extension ^slicing.rules = #closed
* extension contains
    CreditRecordTypeExt named recordType 1..1 and
    CreditRatingExt named rating 1..1 and
    RecordSource named source 1..1 and
    RecordDate named date 1..1

Profile: AccountTransaction
Parent: Basic
Id: account-transaction
Title: "Account transaction"
Description: "A credit or debit on a personal medical insurance account, with the balance after it."
* code = $insured#account-transaction
* subject 1..1
* subject only Reference(InsuredPatient)
* created 1..1
* extension ^slicing.discriminator.type = #value
* extension ^slicing.discriminator.path = "url"
* extension ^slicing.rules = #closed
* extension contains
    TransactionTypeExt named transactionType 1..1 and
    Amount named amount 1..1 and
    BalanceAfter named balanceAfter 1..1 and
    TransactionAccount named account 1..1 and
    RecordDate named date 1..1
