package rights

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"healthsync/db"
)

var (
	// ErrLinkInvalid is a signed download link that this server did not make as it stands (tampered with, cut
	// short, or signed with another key), or a server that offers no signed links.
	ErrLinkInvalid = errors.New("the download link is not valid; ask dataExport for a new one")
	// ErrLinkExpired is a signed download link past its lifetime.
	ErrLinkExpired = errors.New("the download link has expired; ask dataExport for a new one")
)

// Link is a signed download link: it works without a token until Expires.
type Link struct {
	URL     string // path and query, relative to the server like downloadUrl
	Expires time.Time
}

// linkDomain separates these MACs from any other use of the key.
const linkDomain = "healthsync-export-link-v1"

// linkMAC is HMAC-SHA256 over the export id, its user and the link's expiry (Unix seconds).
func (s *Service) linkMAC(exportID, userID, expires int64) []byte {
	m := hmac.New(sha256.New, s.o.LinkKey)
	fmt.Fprintf(m, "%s\n%d\n%d\n%d", linkDomain, exportID, userID, expires)
	return m.Sum(nil)
}

// SignedLink is a short-lived link to download the export without a token, or nil when the export cannot be
// downloaded (not finished, expired) or the server has no link key.
func (s *Service) SignedLink(e db.Export, path string) *Link {
	if len(s.o.LinkKey) == 0 || e.Status != db.ExportDone {
		return nil
	}
	exp := s.o.Now().Add(s.o.LinkTTL).Truncate(time.Second)
	if end := s.ExpiresAt(e); end != nil && end.Before(exp) { // a link never outlives the export
		exp = end.Truncate(time.Second)
	}
	q := url.Values{}
	q.Set("user", strconv.FormatInt(e.UserID, 10))
	q.Set("expires", strconv.FormatInt(exp.Unix(), 10))
	q.Set("signature", base64.RawURLEncoding.EncodeToString(s.linkMAC(e.ID, e.UserID, exp.Unix())))
	return &Link{URL: path + "?" + q.Encode(), Expires: exp.UTC()}
}

// VerifyLink checks a signed link's query for the export and returns the user it was made for. The signature
// is checked before the expiry, so a link whose expiry was moved is invalid, not expired.
func (s *Service) VerifyLink(exportID int64, q url.Values) (int64, error) {
	if len(s.o.LinkKey) == 0 {
		return 0, fmt.Errorf("%w: this server offers no signed links (HEALTHSYNC_EXPORT_LINK_KEY)", ErrLinkInvalid)
	}
	user, err1 := strconv.ParseInt(q.Get("user"), 10, 64)
	expires, err2 := strconv.ParseInt(q.Get("expires"), 10, 64)
	sig, err3 := base64.RawURLEncoding.DecodeString(q.Get("signature"))
	if err1 != nil || err2 != nil || err3 != nil || !hmac.Equal(sig, s.linkMAC(exportID, user, expires)) {
		return 0, ErrLinkInvalid
	}
	if s.o.Now().Unix() >= expires {
		return 0, ErrLinkExpired
	}
	return user, nil
}
