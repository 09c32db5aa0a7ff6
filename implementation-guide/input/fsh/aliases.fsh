Alias: $v3-RoleCode = http://terminology.hl7.org/CodeSystem/v3-RoleCode
Alias: $obs-category = http://terminology.hl7.org/CodeSystem/observation-category
Alias: $ucum = http://unitsofmeasure.org
Alias: $loinc = http://loinc.org
Alias: $insured = http://insured.example.org/fhir/CodeSystem/insured-record-type
Alias: $MIN = http://insured.example.org/fhir/sid/medical-insurance-number
Alias: $CID = http://insured.example.org/fhir/sid/citizen-id
