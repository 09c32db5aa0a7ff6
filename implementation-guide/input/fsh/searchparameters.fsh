Instance: contribution-period
InstanceOf: SearchParameter
Usage: #definition
Title: "The period a contribution covers"
* url = "http://insured.example.org/fhir/SearchParameter/contribution-period"
* name = "ContributionPeriod"
* status = #active
* description = "The period a contribution covers."
* code = #contribution-period
* base = #Basic
* type = #date
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/covered-period').value"

Instance: contribution-amount
InstanceOf: SearchParameter
Usage: #definition
Title: "The amount of a contribution or account transaction"
* url = "http://insured.example.org/fhir/SearchParameter/contribution-amount"
* name = "ContributionAmount"
* status = #active
* description = "The amount of a contribution or account transaction."
* code = #contribution-amount
* base = #Basic
* type = #number
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/amount').value.value"

Instance: contribution-status
InstanceOf: SearchParameter
Usage: #definition
Title: "Whether a contribution was paid, late or missing"
* url = "http://insured.example.org/fhir/SearchParameter/contribution-status"
* name = "ContributionStatus"
* status = #active
* description = "Whether a contribution was paid, late or missing."
* code = #contribution-status
* base = #Basic
* type = #token
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/contribution-status').value"

Instance: contribution-fund
InstanceOf: SearchParameter
Usage: #definition
Title: "The fund a contribution goes to"
* url = "http://insured.example.org/fhir/SearchParameter/contribution-fund"
* name = "ContributionFund"
* status = #active
* description = "The fund a contribution goes to."
* code = #contribution-fund
* base = #Basic
* type = #token
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/insurance-fund').value"

Instance: contribution-payer
InstanceOf: SearchParameter
Usage: #definition
Title: "Who pays a contribution"
* url = "http://insured.example.org/fhir/SearchParameter/contribution-payer"
* name = "ContributionPayer"
* status = #active
* description = "Who pays a contribution."
* code = #contribution-payer
* base = #Basic
* type = #token
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/contribution-payer').value"

Instance: credit-record-type
InstanceOf: SearchParameter
Usage: #definition
Title: "The kind of credit record"
* url = "http://insured.example.org/fhir/SearchParameter/credit-record-type"
* name = "CreditRecordType"
* status = #active
* description = "The kind of credit record."
* code = #credit-record-type
* base = #Basic
* type = #token
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/credit-record-type').value"

Instance: credit-record-rating
InstanceOf: SearchParameter
Usage: #definition
Title: "The rating or severity of a credit record"
* url = "http://insured.example.org/fhir/SearchParameter/credit-record-rating"
* name = "CreditRecordRating"
* status = #active
* description = "The rating or severity of a credit record."
* code = #credit-record-rating
* base = #Basic
* type = #token
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/credit-rating').value"

Instance: record-date
InstanceOf: SearchParameter
Usage: #definition
Title: "When a credit record's or an account transaction's event happened"
* url = "http://insured.example.org/fhir/SearchParameter/record-date"
* name = "RecordDate"
* status = #active
* description = "When a credit record's or an account transaction's event happened."
* code = #record-date
* base = #Basic
* type = #date
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/record-date').value"

Instance: transaction-type
InstanceOf: SearchParameter
Usage: #definition
Title: "The kind of account transaction"
* url = "http://insured.example.org/fhir/SearchParameter/transaction-type"
* name = "TransactionType"
* status = #active
* description = "The kind of account transaction."
* code = #transaction-type
* base = #Basic
* type = #token
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/transaction-type').value"

Instance: transaction-account
InstanceOf: SearchParameter
Usage: #definition
Title: "The account of a transaction"
* url = "http://insured.example.org/fhir/SearchParameter/transaction-account"
* name = "TransactionAccount"
* status = #active
* description = "The account of a transaction."
* code = #transaction-account
* base = #Basic
* type = #reference
* expression = "Basic.extension('http://insured.example.org/fhir/StructureDefinition/transaction-account').value"
* target = #Account
