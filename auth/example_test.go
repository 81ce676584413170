package auth_test

import (
	"fmt"
	"log"
	"time"

	"healthsync/auth"
)

// A development token minted by the Signer is accepted by a Verifier that
// shares its secret, issuer and audience.
func Example() {
	secret := []byte("an-example-secret-of-32-bytes!!!") // use LoadOrCreateDevSecret in practice
	signer, err := auth.NewHMACSigner(secret, "healthsync-dev", "healthsync")
	if err != nil {
		log.Fatal(err)
	}
	scopes, err := auth.ParseScopes("ingest,read")
	if err != nil {
		log.Fatal(err)
	}
	token, err := signer.Sign("user-42", scopes, time.Hour)
	if err != nil {
		log.Fatal(err)
	}

	verifier, err := auth.NewVerifier(auth.Config{
		HMACSecret: secret,
		Issuer:     "healthsync-dev",
		Audience:   "healthsync",
	})
	if err != nil {
		log.Fatal(err)
	}
	p, err := verifier.Verify(token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Subject, p.Has(auth.ScopeIngest), p.Has(auth.ScopeRead))

	_, err = verifier.Verify(token + "x")
	fmt.Println(err)
	// Output:
	// user-42 true true
	// unauthenticated: invalid signature
}
