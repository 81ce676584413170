package main

import "healthsync/providers"

// adapters are the cloud providers this build knows.
func adapters() []providers.Adapter {
	return []providers.Adapter{}
}
