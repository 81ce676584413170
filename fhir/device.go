package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"healthsync/db"
)

// sourceIdentifier is a source's identifier: provider and source key (bundle id, device model and hardware
// version: what tells two sources apart).
func sourceIdentifier(provider, key string) *Identifier {
	return &Identifier{System: SystemSource, Value: provider + "/" + key}
}

// Patient is the user's Patient.
func (s *Service) Patient(subject string) Patient {
	return Patient{ResourceType: TypePatient, ID: PatientID(subject), Active: true,
		Identifier: []Identifier{{System: SystemSubject, Value: subject}}}
}

// Patients answers a Patient search: the user's own Patient when q's filters let it through.
func (s *Service) Patients(subject string, q Search) []Patient {
	p := s.Patient(subject)
	if (q.IDs != nil && !slices.Contains(q.IDs, p.ID)) || (q.Idents != nil && !slices.Contains(q.Idents, subject)) {
		return []Patient{}
	}
	return []Patient{p}
}

// device is the Device of one source.
func device(subject string, src db.Source) Device {
	d := Device{ResourceType: TypeDevice, ID: DeviceID(subject, src.Provider, src.Key), Status: "active",
		Identifier:   []Identifier{*sourceIdentifier(src.Provider, src.Key)},
		Manufacturer: strings.TrimSpace(deref(src.DeviceManufacturer)), Patient: PatientReference(subject)}
	var names []DeviceName
	if strings.TrimSpace(src.Name) != "" {
		names = append(names, DeviceName{Name: src.Name, Type: "user-friendly-name"})
	}
	if n := deref(src.DeviceName); strings.TrimSpace(n) != "" && n != src.Name {
		names = append(names, DeviceName{Name: n, Type: "other"})
	}
	if m := deref(src.DeviceModel); strings.TrimSpace(m) != "" {
		names = append(names, DeviceName{Name: m, Type: "model-name"})
	}
	d.DeviceName = names
	d.ModelNumber = strings.TrimSpace(deref(src.ProductType))
	for _, v := range []struct {
		kind string
		val  *string
	}{{"hardware", src.HardwareVersion}, {"software", src.SoftwareVersion}, {"app", src.Version}} {
		if val := strings.TrimSpace(deref(v.val)); val != "" {
			d.Version = append(d.Version, DeviceVersion{Type: &CodeableConcept{Text: v.kind}, Value: val})
		}
	}
	return d
}

// DevicesOf is the Devices of sources.
func DevicesOf(subject string, sources []db.Source) []Device {
	out := make([]Device, 0, len(sources))
	for _, src := range sources {
		out = append(out, device(subject, src))
	}
	return out
}

// DevicePage is one page of the user's Devices (their sources) in q, in storage order; next is the cursor of
// the following page, 0 on the last.
func (s *Service) DevicePage(ctx context.Context, userID int64, subject string, q Search) (devs []Device, next int64, err error) {
	devs = []Device{}
	if q.matchesNothing(subject) {
		return devs, 0, nil
	}
	after := q.AfterSource
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		// The filters (_id, identifier) are digests and keys computed here, so pages are read until q.Count
		// match; a user has tens of sources, not millions.
		for {
			srcs, err := tx.SourcesAfter(ctx, after, bulkPage)
			if err != nil {
				return err
			}
			for _, src := range srcs {
				d := device(subject, src)
				if (q.IDs != nil && !slices.Contains(q.IDs, d.ID)) ||
					(q.Idents != nil && !slices.Contains(q.Idents, d.Identifier[0].Value)) {
					after = src.ID
					continue
				}
				if len(devs) == q.Count {
					next = after
					return nil
				}
				devs = append(devs, d)
				after = src.ID
			}
			if len(srcs) < bulkPage {
				return nil
			}
		}
	})
	return devs, next, err
}

// Device is the user's Device with id, or nil.
func (s *Service) Device(ctx context.Context, userID int64, subject, id string) (*Device, error) {
	if !validID(id) {
		return nil, nil
	}
	devs, _, err := s.DevicePage(ctx, userID, subject, Search{Type: TypeDevice, IDs: []string{id}, Count: 1})
	if err != nil || len(devs) == 0 {
		return nil, err
	}
	return &devs[0], nil
}

// Bulk file names of the FHIR export, one resource type a file (FHIR bulk data's layout).
const (
	FilePatient     = "Patient.ndjson"
	FileDevice      = "Device.ndjson"
	FileObservation = "Observation.ndjson"
)

// WriteBulk writes everything the user holds as FHIR NDJSON: their Patient, a Device per source and every
// Observation, each file opened by create (a zip entry, say), and returns the count per resource type. Memory
// holds one page of rows.
func (s *Service) WriteBulk(ctx context.Context, create func(name string) (io.Writer, error), userID int64, subject string) (map[string]int64, error) {
	counts := map[string]int64{}
	w, err := create(FilePatient)
	if err != nil {
		return counts, err
	}
	if err := json.NewEncoder(w).Encode(s.Patient(subject)); err != nil {
		return counts, fmt.Errorf("write %s: %w", FilePatient, err)
	}
	counts[TypePatient] = 1
	if w, err = create(FileDevice); err != nil {
		return counts, err
	}
	enc := json.NewEncoder(w)
	for q := (Search{Type: TypeDevice, Count: bulkPage}); ; {
		devs, next, err := s.DevicePage(ctx, userID, subject, q)
		if err != nil {
			return counts, err
		}
		for _, d := range devs {
			if err := enc.Encode(d); err != nil {
				return counts, fmt.Errorf("write %s: %w", FileDevice, err)
			}
			counts[TypeDevice]++
		}
		if next == 0 {
			break
		}
		q.AfterSource = next
	}
	if w, err = create(FileObservation); err != nil {
		return counts, err
	}
	n, err := WriteNDJSON(ctx, w, s.All(ctx, userID, subject, Search{Type: TypeObservation}))
	counts[TypeObservation] = int64(n)
	if err != nil {
		return counts, fmt.Errorf("write %s: %w", FileObservation, err)
	}
	return counts, nil
}
