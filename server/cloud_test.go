package server_test

import "testing"

func TestCloudProviderFieldsWithoutProvidersSayNotConfigured(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	r := a.do(tok, `mutation { connectProvider(provider: OURA) { authorizeUrl } }`, nil)
	if r.code() != "PROVIDER_NOT_CONFIGURED" {
		t.Fatalf("connectProvider without providers: %s", r.Raw)
	}
	r = a.do(tok, `query { providerConnections { provider } }`, nil)
	if r.code() != "PROVIDER_NOT_CONFIGURED" {
		t.Fatalf("providerConnections without providers: %s", r.Raw)
	}
	// Scope: a read-only token cannot start a connection.
	if r := a.do(a.token("alice", "read"), `mutation { connectProvider(provider: OURA) { authorizeUrl } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("read-only token: %s", r.Raw)
	}
}
