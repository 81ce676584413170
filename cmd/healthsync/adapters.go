package main

import (
	"healthsync/cloud/providers"
	"healthsync/cloud/providers/garmin"
	"healthsync/cloud/providers/oura"
	"healthsync/cloud/providers/whoop"
)

// adapters are the cloud providers this build knows.
func adapters() []providers.Adapter {
	return []providers.Adapter{
		whoop.New(),
		oura.New(),
		garmin.New(),
	}
}
