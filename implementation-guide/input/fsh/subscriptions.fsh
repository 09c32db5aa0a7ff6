// Topic-based subscriptions (Subscriptions R5 Backport IG, STU 1.1, on R4): the topics this server
// offers, as Basic resources with the cross-version SubscriptionTopic extensions, and what the server
// records on a Subscription about the grant that created it.

Alias: $topic = http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic
Alias: $fhir-types = http://hl7.org/fhir/fhir-types

Extension: SubscriptionOwner
Id: subscription-owner
Title: "Subscription owner"
Description: "Set by the server on every Subscription it stores: what rebuilds the grant of the token that created or last changed it (client, scope, launch patient, fhirUser, token family). Notifications carry only what this grant may read. Whatever a client sends here is replaced."
Context: Subscription
* extension contains
    client 0..1 and
    scope 0..1 and
    patient 0..1 and
    fhirUser 0..1 and
    family 0..1 and
    system 0..1
* extension[client].value[x] only string
* extension[client] ^short = "The client_id of the token"
* extension[scope].value[x] only string
* extension[scope] ^short = "The granted scopes of the token"
* extension[patient].value[x] only string
* extension[patient] ^short = "The SMART launch patient (id)"
* extension[fhirUser].value[x] only string
* extension[fhirUser] ^short = "The signed-in user's FHIR resource (Type/id)"
* extension[family].value[x] only string
* extension[family] ^short = "The token family: a revoked family stops the subscription"
* extension[system].value[x] only string
* extension[system] ^short = "The name of the server's own context (authorization off)"

Instance: subscription-owner-client
InstanceOf: SearchParameter
Usage: #definition
Title: "The client that owns a subscription"
* url = "http://insured.example.org/fhir/SearchParameter/subscription-owner-client"
* name = "SubscriptionOwnerClient"
* status = #active
* description = "The client_id of the token that created or last changed the Subscription (confined grants see only their client's subscriptions)."
* code = #owner-client
* base = #Subscription
* type = #token
* expression = "Subscription.extension('http://insured.example.org/fhir/StructureDefinition/subscription-owner').extension('client').value"

Instance: subscription-owner-patient
InstanceOf: SearchParameter
Usage: #definition
Title: "The launch patient of a subscription's owner"
* url = "http://insured.example.org/fhir/SearchParameter/subscription-owner-patient"
* name = "SubscriptionOwnerPatient"
* status = #active
* description = "The SMART launch patient of the token that created or last changed the Subscription."
* code = #owner-patient
* base = #Subscription
* type = #token
* expression = "Subscription.extension('http://insured.example.org/fhir/StructureDefinition/subscription-owner').extension('patient').value"

Instance: topic-observation
InstanceOf: Basic
Usage: #definition
Title: "SubscriptionTopic: Observation created or updated"
* code = $fhir-types#SubscriptionTopic
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url"
* extension[=].valueUri = "http://insured.example.org/fhir/SubscriptionTopic/observation"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.version"
* extension[=].valueString = "0.1.0"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.name"
* extension[=].valueString = "ObservationChanged"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.title"
* extension[=].valueString = "Observation created or updated"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.status"
* extension[=].valueCode = #active
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.description"
* extension[=].valueMarkdown = "An Observation is created or updated (a new reading, a corrected result). Filter by patient and by code."
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.resourceTrigger"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "An Observation is created or updated"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "http://hl7.org/fhir/StructureDefinition/Observation"
* extension[=].extension[+].url = "supportedInteraction"
* extension[=].extension[=].valueCode = #create
* extension[=].extension[+].url = "supportedInteraction"
* extension[=].extension[=].valueCode = #update
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.canFilterBy"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "The patient the Observation is about"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "Observation"
* extension[=].extension[+].url = "filterParameter"
* extension[=].extension[=].valueString = "patient"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.canFilterBy"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "The code of the Observation (system|code)"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "Observation"
* extension[=].extension[+].url = "filterParameter"
* extension[=].extension[=].valueString = "code"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.notificationShape"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "Observation"

Instance: topic-encounter-start
InstanceOf: Basic
Usage: #definition
Title: "SubscriptionTopic: Encounter started"
* code = $fhir-types#SubscriptionTopic
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url"
* extension[=].valueUri = "http://insured.example.org/fhir/SubscriptionTopic/encounter-start"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.version"
* extension[=].valueString = "0.1.0"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.name"
* extension[=].valueString = "EncounterStart"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.title"
* extension[=].valueString = "Encounter started"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.status"
* extension[=].valueCode = #active
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.description"
* extension[=].valueMarkdown = "An Encounter enters the in-progress status (created in progress, or updated from another status)."
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.resourceTrigger"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "An Encounter becomes in-progress"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "http://hl7.org/fhir/StructureDefinition/Encounter"
* extension[=].extension[+].url = "supportedInteraction"
* extension[=].extension[=].valueCode = #create
* extension[=].extension[+].url = "supportedInteraction"
* extension[=].extension[=].valueCode = #update
* extension[=].extension[+].url = "queryCriteria"
* extension[=].extension[=].extension[+].url = "previous"
* extension[=].extension[=].extension[=].valueString = "status:not=in-progress"
* extension[=].extension[=].extension[+].url = "resultForCreate"
* extension[=].extension[=].extension[=].valueCode = #test-passes
* extension[=].extension[=].extension[+].url = "current"
* extension[=].extension[=].extension[=].valueString = "status=in-progress"
* extension[=].extension[=].extension[+].url = "resultForDelete"
* extension[=].extension[=].extension[=].valueCode = #test-fails
* extension[=].extension[=].extension[+].url = "requireBoth"
* extension[=].extension[=].extension[=].valueBoolean = true
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.canFilterBy"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "The patient of the Encounter"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "Encounter"
* extension[=].extension[+].url = "filterParameter"
* extension[=].extension[=].valueString = "patient"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.notificationShape"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "Encounter"
