package fhir

import (
	"slices"
	"time"
)

// The CapabilityStatement's parts, with only the elements it fills.

type CapabilityStatement struct {
	ResourceType   string              `json:"resourceType"`
	Status         string              `json:"status"`
	Date           string              `json:"date"`
	Publisher      string              `json:"publisher,omitempty"`
	Description    string              `json:"description,omitempty"`
	Kind           string              `json:"kind"`
	Software       *CapabilitySoftware `json:"software,omitempty"`
	Implementation *CapabilityImpl     `json:"implementation,omitempty"`
	FHIRVersion    string              `json:"fhirVersion"`
	Format         []string            `json:"format"`
	Rest           []CapabilityRest    `json:"rest"`
}

type CapabilitySoftware struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type CapabilityImpl struct {
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
}

type CapabilityRest struct {
	Mode          string               `json:"mode"`
	Documentation string               `json:"documentation,omitempty"`
	Security      *CapabilitySecurity  `json:"security,omitempty"`
	Resource      []CapabilityResource `json:"resource"`
}

type CapabilitySecurity struct {
	CORS        bool              `json:"cors"`
	Service     []CodeableConcept `json:"service,omitempty"`
	Description string            `json:"description,omitempty"`
}

type CapabilityResource struct {
	Type          string                  `json:"type"`
	Documentation string                  `json:"documentation,omitempty"`
	Interaction   []CapabilityInteraction `json:"interaction"`
	Versioning    string                  `json:"versioning"`
	ReadHistory   bool                    `json:"readHistory"`
	UpdateCreate  bool                    `json:"updateCreate"`
	SearchParam   []CapabilityParam       `json:"searchParam,omitempty"`
}

type CapabilityInteraction struct {
	Code string `json:"code"`
}

type CapabilityParam struct {
	Name          string `json:"name"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

// resourceDocs say what each served type holds.
var resourceDocs = map[string]string{
	TypeObservation: "Each quantity sample, blood pressure panel, sleep sample and workout of the token's user. " +
		"_sort=date|-date, _count (default 100, at most 1000), _summary=count; _format=ndjson streams every match.",
	TypePatient: "The token's user: an id and the token subject as identifier (no demographics are stored).",
	TypeDevice:  "One per source of the token's user (the app and hardware that recorded samples).",
}

// Capability is the server's CapabilityStatement: a read-only R4 server instance at base, its resources and
// exactly the search parameters ParseSearch accepts. started is when the process started (the statement's
// date: it changes with the binary).
func Capability(base string, started time.Time) CapabilityStatement {
	c := CapabilityStatement{ResourceType: "CapabilityStatement", Status: "active", Date: instant(started),
		Publisher: "healthsync", Kind: "instance",
		Description:    "Read-only FHIR R4 access to one user's phone and wearable health data.",
		Software:       &CapabilitySoftware{Name: "healthsync"},
		Implementation: &CapabilityImpl{Description: "healthsync FHIR R4 API", URL: base},
		FHIRVersion:    "4.0.1",
		Format:         []string{"json", "application/fhir+json", "application/fhir+ndjson"},
	}
	rest := CapabilityRest{Mode: "server",
		Documentation: "Every request reads the data of the user its bearer token names, and only that. Unknown search " +
			"parameters are ignored and left out of the Bundle's self link; with Prefer: handling=strict they are refused (400).",
		Security: &CapabilitySecurity{
			Service: []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/restful-security-service",
				Code: "OAuth", Display: "OAuth"}}, Text: "Bearer JWT"}},
			Description: "Authorization: Bearer <JWT> from the deployment's identity provider (the same token as the GraphQL API), " +
				"with the read scope. The token's subject is the Patient. This server is not a SMART on FHIR authorization " +
				"server: it publishes no .well-known/smart-configuration; obtain tokens from the identity provider.",
		},
	}
	types := make([]string, 0, len(SearchParams))
	for t := range SearchParams {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		r := CapabilityResource{Type: t, Documentation: resourceDocs[t], Versioning: "no-version",
			Interaction: []CapabilityInteraction{{Code: "read"}, {Code: "search-type"}}}
		for _, p := range SearchParams[t] {
			r.SearchParam = append(r.SearchParam, CapabilityParam{Name: p.Name, Definition: p.Definition, Type: p.Type,
				Documentation: p.Doc})
		}
		rest.Resource = append(rest.Resource, r)
	}
	c.Rest = []CapabilityRest{rest}
	return c
}
