// Package fhir turns what healthsync stores into FHIR R4 resources: each quantity sample, blood pressure pair,
// sleep sample and workout becomes an Observation with LOINC (or SNOMED CT) and HealthKit codings and UCUM
// units; pages of them become searchset Bundles, errors OperationOutcomes, and bulk reads NDJSON. It knows no
// HTTP (fhir/fhirhttp serves it).
package fhir

// The R4 datatypes the export writes, with only the elements it fills. Field order follows the specification so
// the JSON reads like the examples in it.

type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type Quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

type Meta struct {
	Source string   `json:"source,omitempty"`
	Tag    []Coding `json:"tag,omitempty"`
}

type Component struct {
	Code                 CodeableConcept  `json:"code"`
	ValueQuantity        *Quantity        `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
}

// Observation is an R4 Observation.
type Observation struct {
	ResourceType         string            `json:"resourceType"`
	ID                   string            `json:"id,omitempty"`
	Meta                 *Meta             `json:"meta,omitempty"`
	Identifier           []Identifier      `json:"identifier,omitempty"`
	Status               string            `json:"status"`
	Category             []CodeableConcept `json:"category,omitempty"`
	Code                 CodeableConcept   `json:"code"`
	Subject              *Reference        `json:"subject,omitempty"`
	EffectiveDateTime    string            `json:"effectiveDateTime,omitempty"`
	EffectivePeriod      *Period           `json:"effectivePeriod,omitempty"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	Method               *CodeableConcept  `json:"method,omitempty"`
	Device               *Reference        `json:"device,omitempty"`
	Component            []Component       `json:"component,omitempty"`
}

// BundleLink is one of a Bundle's links (self, next).
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type BundleSearch struct {
	Mode string `json:"mode"`
}

// BundleEntry is one entry; Resource is an *Observation, *Patient, *Device or OperationOutcome.
type BundleEntry struct {
	FullURL  string        `json:"fullUrl,omitempty"`
	Resource any           `json:"resource"`
	Search   *BundleSearch `json:"search,omitempty"`
}

// Bundle is an R4 searchset Bundle.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Total        *int64        `json:"total,omitempty"`
	Link         []BundleLink  `json:"link,omitempty"`
	Entry        []BundleEntry `json:"entry"`
}

// OperationOutcomeIssue is one issue; Code is from the R4 issue-type value set (invalid, not-supported,
// login, forbidden, exception, transient...). Details carries healthsync's machine-readable code.
type OperationOutcomeIssue struct {
	Severity    string           `json:"severity"`
	Code        string           `json:"code"`
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
}

type OperationOutcome struct {
	ResourceType string                  `json:"resourceType"`
	Issue        []OperationOutcomeIssue `json:"issue"`
}

// SystemErrorCode is the system of the healthsync error code an OperationOutcome's details carry (the
// extensions.code of the GraphQL errors).
const SystemErrorCode = "https://healthsync.dev/fhir/CodeSystem/error"

// Patient is the R4 Patient a user is: healthsync stores no name, birth date or other demographics, so it is
// its id and the token subject as identifier.
type Patient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Identifier   []Identifier `json:"identifier,omitempty"`
	Active       bool         `json:"active"`
}

type DeviceName struct {
	Name string `json:"name"`
	Type string `json:"type"` // R4 device-nametype: user-friendly-name, model-name, manufacturer-name, other...
}

type DeviceVersion struct {
	Type  *CodeableConcept `json:"type,omitempty"`
	Value string           `json:"value"`
}

// Device is an R4 Device: one of the user's sources (the app and the hardware that recorded samples).
type Device struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Identifier   []Identifier    `json:"identifier,omitempty"`
	Status       string          `json:"status,omitempty"`
	Manufacturer string          `json:"manufacturer,omitempty"`
	DeviceName   []DeviceName    `json:"deviceName,omitempty"`
	ModelNumber  string          `json:"modelNumber,omitempty"`
	Version      []DeviceVersion `json:"version,omitempty"`
	Patient      *Reference      `json:"patient,omitempty"`
}

// Outcome is an OperationOutcome with one error: issueType from the R4 issue-type value set, code healthsync's
// own (BAD_USER_INPUT, UNAUTHENTICATED...), message for a person.
func Outcome(issueType, code, message string) OperationOutcome {
	return OperationOutcome{ResourceType: "OperationOutcome", Issue: []OperationOutcomeIssue{{
		Severity: "error", Code: issueType, Diagnostics: message,
		Details: &CodeableConcept{Coding: []Coding{{System: SystemErrorCode, Code: code}}, Text: message},
	}}}
}

// Warning is an OperationOutcome with one warning (a search parameter the server ignored).
func Warning(issueType, message string) OperationOutcome {
	return OperationOutcome{ResourceType: "OperationOutcome", Issue: []OperationOutcomeIssue{{
		Severity: "warning", Code: issueType, Diagnostics: message}}}
}
