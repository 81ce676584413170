package resolvers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"healthsync/cloud/cloudsync"
	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/ingest"
	"healthsync/scalar"
)

// CodeProviderNotConfigured means the server has no OAuth client for the provider.
const CodeProviderNotConfigured = "PROVIDER_NOT_CONFIGURED"

func (r *Resolver) cloud() (*cloudsync.Service, error) {
	if r.Cloud == nil {
		return nil, &codedError{CodeProviderNotConfigured, "cloud providers are not configured on this server"}
	}
	return r.Cloud, nil
}

func cloudError(err error) error {
	switch {
	case errors.Is(err, cloudsync.ErrNotConfigured), errors.Is(err, cloudsync.ErrUnknownProvider):
		return &codedError{CodeProviderNotConfigured, "this server is not set up to connect to that provider (no client id configured)"}
	case errors.Is(err, cloudsync.ErrUnknownMetric):
		return badInput(err.Error())
	}
	return err
}

func (r *Resolver) connectProvider(ctx context.Context, p model.CloudProvider) (*model.ProviderAuthorization, error) {
	svc, err := r.cloud()
	if err != nil {
		return nil, err
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	a, err := svc.Connect(ctx, u.ID, ingest.Provider(p))
	if err != nil {
		return nil, cloudError(err)
	}
	return &model.ProviderAuthorization{Provider: p, AuthorizeURL: a.AuthorizeURL, ExpiresAt: a.ExpiresAt}, nil
}

func (r *Resolver) disconnectProvider(ctx context.Context, p model.CloudProvider) (*model.ProviderConnection, error) {
	svc, err := r.cloud()
	if err != nil {
		return nil, err
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	c, err := svc.Disconnect(ctx, u.ID, ingest.Provider(p))
	if err != nil || c == nil {
		return nil, cloudError(err)
	}
	m := connectionModel(*c)
	return &m, nil
}

func (r *Resolver) providerConnections(ctx context.Context) ([]model.ProviderConnection, error) {
	svc, err := r.cloud()
	if err != nil {
		return nil, err
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := svc.Connections(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]model.ProviderConnection, 0, len(cs))
	for _, c := range cs {
		out = append(out, connectionModel(c))
	}
	return out, nil
}

func connectionModel(c db.Connection) model.ProviderConnection {
	scopes := strings.Fields(c.Scopes)
	if scopes == nil {
		scopes = []string{}
	}
	return model.ProviderConnection{Provider: model.CloudProvider(c.Provider), Status: model.ConnectionStatus(c.Status),
		ProviderUserID: c.ProviderUserID, DeviceID: cloudsync.DeviceID(ingest.Provider(c.Provider)), Scopes: scopes,
		ConnectedAt: c.ConnectedAt, LastSyncAt: c.LastSyncAt, LastError: c.LastError}
}

func (r *Resolver) dailyTotals(ctx context.Context, metric string, from, to scalar.Date) ([]model.DailyTotal, error) {
	svc, err := r.cloud()
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, badInput("`to` is before `from`")
	}
	if from.AddDays(366).Before(to) {
		return nil, badInput("at most 366 days per request")
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	ts, m, err := svc.DailyTotals(ctx, u.ID, metric, from.In(time.UTC), to.In(time.UTC))
	if err != nil {
		return nil, cloudError(err)
	}
	out := make([]model.DailyTotal, 0, len(ts))
	for _, t := range ts {
		out = append(out, model.DailyTotal{Metric: t.Metric, Day: scalar.DateOf(t.Day), Value: t.Value, Unit: m.Unit,
			Provider: model.Provider(t.Provider), SourceID: strconv.FormatInt(t.SourceID, 10), TimeZone: t.TimeZone})
	}
	return out, nil
}
