// Monitoring rules (issue #17): thresholds on readings as ObservationDefinitions, not code constants.
// A `critical` qualifiedInterval whose range holds a reading raises an alert (a DetectedIssue with the
// readings as evidence, a Flag on the person, a Task for the care team). Bounds are inclusive unless
// the interval says otherwise (monitoring-boundary); an interval with monitoring-sustained needs that
// many readings in it within the period. See the Monitoring page.

Alias: $fhir-types-cs = http://hl7.org/fhir/fhir-types

Extension: MonitoringBoundary
Id: monitoring-boundary
Title: "Monitoring interval boundary"
Description: "Whether the bounds of a qualifiedInterval's range belong to it: `inclusive` (the default: a reading equal to a bound is in the interval) or `exclusive` (strictly beyond, e.g. glucose < 3.9 mmol/L)."
Context: ObservationDefinition.qualifiedInterval
* value[x] only code
* valueCode 1..1
* valueCode ^short = "inclusive | exclusive"

Extension: MonitoringSustained
Id: monitoring-sustained
Title: "Sustained monitoring rule"
Description: "The interval raises an alert only when `count` readings of the person fall in it within `period` (the newest reading included), e.g. three home readings of systolic blood pressure at or above 140 mmHg within 7 days. Readings already evidence of an alert of the same rule do not count again."
Context: ObservationDefinition.qualifiedInterval
* extension contains
    count 1..1 and
    period 1..1
* extension[count].value[x] only positiveInt
* extension[count] ^short = "How many readings in the interval"
* extension[period].value[x] only Duration
* extension[period] ^short = "Within how long (units d, h or min)"

Extension: MonitoringDeviceReadings
Id: monitoring-device-readings
Title: "Monitoring on device readings only"
Description: "When true, only readings taken by a device (`Observation.device` given: home and wearable readings, as the device-observation profile requires) count for the interval's rule, e.g. home blood pressure, whose thresholds are lower than those of office readings."
Context: ObservationDefinition.qualifiedInterval
* value[x] only boolean
* valueBoolean 1..1

Extension: MonitoringRule
Id: monitoring-rule
Title: "Monitoring rule"
Description: "The ObservationDefinition whose rule raised this alert."
Context: DetectedIssue, Flag, Task
* value[x] only Reference(ObservationDefinition)

Instance: detectedissue-monitoring-rule
InstanceOf: SearchParameter
Usage: #definition
Title: "The monitoring rule that raised an alert"
* url = "http://insured.example.org/fhir/SearchParameter/detectedissue-monitoring-rule"
* name = "DetectedIssueMonitoringRule"
* status = #active
* description = "The ObservationDefinition whose rule raised the DetectedIssue."
* code = #monitoring-rule
* base = #DetectedIssue
* type = #reference
* target = #ObservationDefinition
* expression = "DetectedIssue.extension('http://insured.example.org/fhir/StructureDefinition/monitoring-rule').value"

Instance: monitoring-systolic-critical
InstanceOf: ObservationDefinition
Usage: #definition
Title: "Monitoring: systolic blood pressure at or above 180 mmHg"
* category = $obs-category#vital-signs
* code = $loinc#8480-6 "Systolic blood pressure"
* permittedDataType = #Quantity
* preferredReportName = "Systolic blood pressure"
* quantitativeDetails.unit = $ucum#mm[Hg] "mmHg"
* qualifiedInterval[0].category = #critical
* qualifiedInterval[0].range.low = 180 'mm[Hg]' "mmHg"
* qualifiedInterval[0].condition = "Hypertensive crisis: systolic blood pressure at or above 180 mmHg"

Instance: monitoring-diastolic-critical
InstanceOf: ObservationDefinition
Usage: #definition
Title: "Monitoring: diastolic blood pressure at or above 120 mmHg"
* category = $obs-category#vital-signs
* code = $loinc#8462-4 "Diastolic blood pressure"
* permittedDataType = #Quantity
* preferredReportName = "Diastolic blood pressure"
* quantitativeDetails.unit = $ucum#mm[Hg] "mmHg"
* qualifiedInterval[0].category = #critical
* qualifiedInterval[0].range.low = 120 'mm[Hg]' "mmHg"
* qualifiedInterval[0].condition = "Hypertensive crisis: diastolic blood pressure at or above 120 mmHg"

Instance: monitoring-systolic-sustained
InstanceOf: ObservationDefinition
Usage: #definition
Title: "Monitoring: home systolic blood pressure at or above 140 mmHg three times within 7 days"
* category = $obs-category#vital-signs
* code = $loinc#8480-6 "Systolic blood pressure"
* permittedDataType = #Quantity
* preferredReportName = "Systolic blood pressure"
* quantitativeDetails.unit = $ucum#mm[Hg] "mmHg"
* qualifiedInterval[0].category = #critical
* qualifiedInterval[0].range.low = 140 'mm[Hg]' "mmHg"
* qualifiedInterval[0].condition = "Sustained high blood pressure: home systolic at or above 140 mmHg in 3 readings within 7 days"
* qualifiedInterval[0].extension[+].url = "http://insured.example.org/fhir/StructureDefinition/monitoring-device-readings"
* qualifiedInterval[0].extension[=].valueBoolean = true
* qualifiedInterval[0].extension[+].url = "http://insured.example.org/fhir/StructureDefinition/monitoring-sustained"
* qualifiedInterval[0].extension[=].extension[+].url = "count"
* qualifiedInterval[0].extension[=].extension[=].valuePositiveInt = 3
* qualifiedInterval[0].extension[=].extension[+].url = "period"
* qualifiedInterval[0].extension[=].extension[=].valueDuration = 7 'd' "days"

Instance: monitoring-glucose-low
InstanceOf: ObservationDefinition
Usage: #definition
Title: "Monitoring: blood glucose below 3.9 mmol/L"
* category = $obs-category#laboratory
* code.coding[0] = $loinc#15074-8 "Glucose [Moles/volume] in Blood"
* code.coding[1] = $loinc#2339-0 "Glucose [Mass/volume] in Blood"
* code.coding[2] = $loinc#2345-7 "Glucose [Mass/volume] in Serum or Plasma"
* permittedDataType = #Quantity
* preferredReportName = "Blood glucose"
* quantitativeDetails.unit = $ucum#mmol/L "mmol/L"
* quantitativeDetails.customaryUnit = $ucum#mg/dL "mg/dL"
* quantitativeDetails.conversionFactor = 18.016
* qualifiedInterval[0].category = #critical
* qualifiedInterval[0].range.high = 3.9 'mmol/L' "mmol/L"
* qualifiedInterval[0].condition = "Hypoglycaemia: blood glucose below 3.9 mmol/L (70 mg/dL)"
* qualifiedInterval[0].extension[+].url = "http://insured.example.org/fhir/StructureDefinition/monitoring-boundary"
* qualifiedInterval[0].extension[=].valueCode = #exclusive

Instance: monitoring-spo2-low
InstanceOf: ObservationDefinition
Usage: #definition
Title: "Monitoring: oxygen saturation below 90 %"
* category = $obs-category#vital-signs
* code.coding[0] = $loinc#59408-5 "Oxygen saturation in Arterial blood by Pulse oximetry"
* code.coding[1] = $loinc#2708-6 "Oxygen saturation in Arterial blood"
* permittedDataType = #Quantity
* preferredReportName = "Oxygen saturation"
* quantitativeDetails.unit = $ucum#% "%"
* qualifiedInterval[0].category = #critical
* qualifiedInterval[0].range.high = 90 '%' "%"
* qualifiedInterval[0].condition = "Low oxygen saturation: SpO2 below 90 %"
* qualifiedInterval[0].extension[+].url = "http://insured.example.org/fhir/StructureDefinition/monitoring-boundary"
* qualifiedInterval[0].extension[=].valueCode = #exclusive

Instance: monitoring-heart-rate-high
InstanceOf: ObservationDefinition
Usage: #definition
Title: "Monitoring: resting heart rate above 120 per minute"
* category = $obs-category#vital-signs
* code.coding[0] = $loinc#8867-4 "Heart rate"
* code.coding[1] = $loinc#40443-4 "Heart rate --resting"
* permittedDataType = #Quantity
* preferredReportName = "Heart rate"
* quantitativeDetails.unit = $ucum#/min "beats/minute"
* qualifiedInterval[0].category = #critical
* qualifiedInterval[0].range.low = 120 '/min' "beats/minute"
* qualifiedInterval[0].condition = "Tachycardia: resting heart rate above 120 per minute"
* qualifiedInterval[0].extension[+].url = "http://insured.example.org/fhir/StructureDefinition/monitoring-boundary"
* qualifiedInterval[0].extension[=].valueCode = #exclusive

Instance: topic-health-alert
InstanceOf: Basic
Usage: #definition
Title: "SubscriptionTopic: health alert raised"
* code = $fhir-types-cs#SubscriptionTopic
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url"
* extension[=].valueUri = "http://insured.example.org/fhir/SubscriptionTopic/health-alert"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.version"
* extension[=].valueString = "0.1.0"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.name"
* extension[=].valueString = "HealthAlert"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.title"
* extension[=].valueString = "Health alert raised"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.status"
* extension[=].valueCode = #active
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.description"
* extension[=].valueMarkdown = "A monitoring rule raised an alert: a DetectedIssue is created with the readings as evidence. Filter by patient, and by code (the LOINC code of the reading, e.g. http://loinc.org|8480-6 for systolic blood pressure)."
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.resourceTrigger"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "A DetectedIssue is created"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "http://hl7.org/fhir/StructureDefinition/DetectedIssue"
* extension[=].extension[+].url = "supportedInteraction"
* extension[=].extension[=].valueCode = #create
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.canFilterBy"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "The person the alert is about"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "DetectedIssue"
* extension[=].extension[+].url = "filterParameter"
* extension[=].extension[=].valueString = "patient"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.canFilterBy"
* extension[=].extension[+].url = "description"
* extension[=].extension[=].valueMarkdown = "The code of the reading that raised it (system|code)"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "DetectedIssue"
* extension[=].extension[+].url = "filterParameter"
* extension[=].extension[=].valueString = "code"
* extension[+].url = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.notificationShape"
* extension[=].extension[+].url = "resource"
* extension[=].extension[=].valueUri = "DetectedIssue"
