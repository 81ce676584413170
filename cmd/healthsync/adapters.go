package main

import (
	"healthsync/providers"
	"healthsync/providers/garmin"
	"healthsync/providers/oura"
	"healthsync/providers/whoop"
)

// adapters are the cloud providers this build knows.
func adapters() []providers.Adapter {
	return []providers.Adapter{
		whoop.New(),
		oura.New(),
		garmin.New(),
	}
}
