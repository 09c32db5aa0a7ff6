CodeSystem: InsuredRecordType
Id: insured-record-type
Title: "Insured record type"
Description: "The kinds of insurance records this guide models on Basic."
* ^caseSensitive = true
* ^content = #complete
* #contribution "Contribution" "A contribution paid (or owed) into the medical insurance funds."
* #credit-record "Credit record" "A record relevant to insurance integrity and finance."
* #account-transaction "Account transaction" "A credit or debit on a personal medical insurance account."

CodeSystem: ContributionPayer
Id: contribution-payer
Title: "Contribution payer"
Description: "Who pays a contribution."
* ^caseSensitive = true
* ^content = #complete
* #employer "Employer" "The employer's share of an employee-scheme contribution."
* #individual "Individual" "The insured person's own share."
* #government "Government subsidy" "A public subsidy (resident scheme)."

ValueSet: ContributionPayerVS
Id: contribution-payer
Title: "Contribution payer"
Description: "Who pays a contribution."
* include codes from system ContributionPayer

CodeSystem: InsuranceFund
Id: insurance-fund
Title: "Insurance fund"
Description: "The fund a payment goes to or comes from."
* ^caseSensitive = true
* ^content = #complete
* #pooled "Pooled fund" "The social pooling fund."
* #personal-account "Personal account" "The insured person's personal medical insurance account."
* #self-pay "Self-paid" "Paid out of pocket by the insured person."

ValueSet: InsuranceFundVS
Id: insurance-fund
Title: "Insurance fund"
Description: "The fund a payment goes to or comes from."
* include codes from system InsuranceFund

CodeSystem: ContributionStatus
Id: contribution-status
Title: "Contribution status"
Description: "Whether a contribution due was paid."
* ^caseSensitive = true
* ^content = #complete
* #paid "Paid" "Paid on time."
* #late "Late" "Paid after its due date."
* #missing "Missing" "Not paid: a gap in contributions."

ValueSet: ContributionStatusVS
Id: contribution-status
Title: "Contribution status"
Description: "Whether a contribution due was paid."
* include codes from system ContributionStatus

CodeSystem: CreditRecordType
Id: credit-record-type
Title: "Credit record type"
Description: "The kinds of credit records kept about insured people."
* ^caseSensitive = true
* ^content = #complete
* #insurance-fraud "Insurance fraud finding" "A finding of fraud or misuse of medical insurance."
* #overdue-contribution "Overdue contribution" "Contributions overdue beyond the grace period."
* #credit-history "Credit history entry" "An entry from a credit reference source."

ValueSet: CreditRecordTypeVS
Id: credit-record-type
Title: "Credit record type"
Description: "The kinds of credit records kept about insured people."
* include codes from system CreditRecordType

CodeSystem: CreditRating
Id: credit-rating
Title: "Credit rating"
Description: "The rating or severity of a credit record."
* ^caseSensitive = true
* ^content = #complete
* #A "Good" "No concern."
* #B "Watch" "Minor concern."
* #C "Poor" "Serious concern."

ValueSet: CreditRatingVS
Id: credit-rating
Title: "Credit rating"
Description: "The rating or severity of a credit record."
* include codes from system CreditRating

CodeSystem: TransactionType
Id: account-transaction-type
Title: "Account transaction type"
Description: "Credits and debits on a personal medical insurance account."
* ^caseSensitive = true
* ^content = #complete
* #contribution-credit "Contribution credit" "Part of a contribution allocated to the account."
* #transfer-in "Transfer in" "A transfer into the account."
* #settlement-debit "Settlement debit" "A payment at settlement (outpatient, pharmacy)."
* #family-debit "Family-shared debit" "A payment for a family member from this account."

ValueSet: TransactionTypeVS
Id: account-transaction-type
Title: "Account transaction type"
Description: "Credits and debits on a personal medical insurance account."
* include codes from system TransactionType

ValueSet: FamilyRelationshipVS
Id: family-relationship
Title: "Family relationship"
Description: "Family relationships that matter for personal-account sharing and dependants' coverage (v3 RoleCode)."
* $v3-RoleCode#SPS "spouse"
* $v3-RoleCode#MTH "mother"
* $v3-RoleCode#FTH "father"
* $v3-RoleCode#PRN "parent"
* $v3-RoleCode#CHILD "child"
* $v3-RoleCode#SON "natural son"
* $v3-RoleCode#DAU "natural daughter"
* $v3-RoleCode#SIB "sibling"
* $v3-RoleCode#GRPRN "grandparent"
* $v3-RoleCode#GRNDCHILD "grandchild"
