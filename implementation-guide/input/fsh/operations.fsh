Instance: Patient-insured-profile
InstanceOf: OperationDefinition
Usage: #definition
Title: "Insured person's profile"
* url = "http://insured.example.org/fhir/OperationDefinition/Patient-insured-profile"
* name = "InsuredProfile"
* status = #draft
* kind = #operation
* description = "A FHIR document Bundle summarising an insured person: medical history, monitoring, insurance and finance, utilisation against peers, and recommendations with their evidence."
* code = #insured-profile
* resource = #Patient
* system = false
* type = false
* instance = true
* affectsState = false
* parameter[0].name = #return
* parameter[0].use = #out
* parameter[0].min = 1
* parameter[0].max = "1"
* parameter[0].type = #Bundle
* parameter[0].documentation = "A document Bundle whose first entry is a Composition with one section per dimension."
