package fhir

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Resource ids are digests: uploaders' ids are any text of any length while R4 ids are [A-Za-z0-9-.]{1,64},
// and a digest says nothing about the data it names. Each digest starts with the token subject, so that two
// users who upload the same sample id (a shared import) still get different ids: a client holding several
// patients' tokens never sees one id for two resources, and one user's id never names another user's data.

// digest is the first 16 bytes of sha256 over parts, each followed by a NUL but the last, in hex.
func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// ResourceID is the Observation id of a stored row of the user called subject (the sample id itself is in
// Observation.identifier).
func ResourceID(subject string, kind int, id string, pointMS int64) string {
	return digest(subject, strconv.Itoa(kind), id, strconv.FormatInt(pointMS, 10))
}

// digestPrefix is what ResourceID hashes before the sample id, for the database to hash the rest.
func digestPrefix(subject string, kind int) []byte {
	return []byte(subject + "\x00" + strconv.Itoa(kind) + "\x00")
}

// PatientID is the Patient id of the user called subject.
func PatientID(subject string) string { return digest("Patient", subject) }

// DeviceID is the Device id of one of the user's sources (provider and source key, which name it for good;
// the database's source_id would change on a restore into another database).
func DeviceID(subject, provider, sourceKey string) string {
	return digest("Device", subject, provider, sourceKey)
}

// validID: every id this server writes is 32 lowercase hex digits; anything else names nothing.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}
