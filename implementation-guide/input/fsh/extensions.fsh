Extension: ContributionPayerExt
Id: contribution-payer
Title: "Contribution payer"
Description: "Who pays this contribution."
Context: Basic
* value[x] only code
* valueCode from ContributionPayerVS (required)

Extension: InsuranceFundExt
Id: insurance-fund
Title: "Insurance fund"
Description: "The fund this money goes to or comes from."
Context: Basic
* value[x] only code
* valueCode from InsuranceFundVS (required)

Extension: ContributionStatusExt
Id: contribution-status
Title: "Contribution status"
Description: "Whether this contribution was paid."
Context: Basic
* value[x] only code
* valueCode from ContributionStatusVS (required)

Extension: CoveredPeriod
Id: covered-period
Title: "Covered period"
Description: "The period a contribution covers."
Context: Basic
* value[x] only Period

Extension: Amount
Id: amount
Title: "Amount"
Description: "The amount of money of a contribution or an account transaction."
Context: Basic
* value[x] only Money

Extension: BaseAmount
Id: base-amount
Title: "Contribution base"
Description: "The base (e.g. the wage) the contribution rate applies to."
Context: Basic
* value[x] only Money

Extension: ContributionRate
Id: contribution-rate
Title: "Contribution rate"
Description: "The rate applied to the base, as a decimal fraction."
Context: Basic
* value[x] only decimal

Extension: CreditRecordTypeExt
Id: credit-record-type
Title: "Credit record type"
Description: "The kind of credit record."
Context: Basic
* value[x] only code
* valueCode from CreditRecordTypeVS (required)

Extension: CreditRatingExt
Id: credit-rating
Title: "Credit rating"
Description: "The rating or severity of the record."
Context: Basic
* value[x] only code
* valueCode from CreditRatingVS (required)

Extension: RecordSource
Id: record-source
Title: "Record source"
Description: "Who reported the record (an agency, a credit reference source)."
Context: Basic
* value[x] only string

Extension: RecordDate
Id: record-date
Title: "Record date"
Description: "When the recorded event happened."
Context: Basic
* value[x] only dateTime

Extension: TransactionTypeExt
Id: transaction-type
Title: "Transaction type"
Description: "The kind of account transaction."
Context: Basic
* value[x] only code
* valueCode from TransactionTypeVS (required)

Extension: BalanceAfter
Id: balance-after
Title: "Balance after"
Description: "The account balance after the transaction."
Context: Basic
* value[x] only Money

Extension: TransactionAccount
Id: transaction-account
Title: "Account"
Description: "The personal medical insurance account the transaction is on."
Context: Basic
* value[x] only Reference(PersonalAccount)
