package resolvers

import (
	"context"
	"errors"
	"strconv"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/webhooks"
)

// The outgoing webhooks' administration: deployment-wide, so no user is resolved; @scope(needs: ADMIN) has
// checked the token.

func (r *Resolver) saveWebhookEndpoint(ctx context.Context, in model.WebhookEndpointInput) (*model.WebhookEndpoint, error) {
	e, err := r.Webhooks.SaveEndpoint(ctx, webhooks.Endpoint{Name: in.Name, URL: in.URL, Secrets: in.Secrets,
		EventTypes: in.EventTypes, Enabled: in.Enabled, IncludeValues: in.IncludeValues})
	if err != nil {
		return nil, webhookError(err)
	}
	out := endpointModel(e)
	return &out, nil
}

func (r *Resolver) webhookEndpoints(ctx context.Context) ([]model.WebhookEndpoint, error) {
	es, err := r.Webhooks.Endpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.WebhookEndpoint, len(es))
	for i, e := range es {
		out[i] = endpointModel(e)
	}
	return out, nil
}

func (r *Resolver) webhookDeliveries(ctx context.Context, status *model.WebhookDeliveryStatus, limit int) ([]model.WebhookDelivery, error) {
	if limit < 1 || limit > 500 {
		return nil, badInput("limit must be 1 to 500")
	}
	st := ""
	if status != nil {
		st = string(*status)
	}
	ds, err := r.Webhooks.Deliveries(ctx, st, limit)
	if err != nil {
		return nil, err
	}
	out := make([]model.WebhookDelivery, len(ds))
	for i, d := range ds {
		out[i] = model.WebhookDelivery{MessageID: webhooks.MessageID(d.EventID), EventID: strconv.FormatInt(d.EventID, 10),
			EndpointID: strconv.FormatInt(d.EndpointID, 10), EventType: d.Type, Status: model.WebhookDeliveryStatus(d.Status),
			Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastHTTPStatus: d.LastStatus, LastError: d.LastError,
			DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	}
	return out, nil
}

func (r *Resolver) redeliverWebhooks(ctx context.Context, eventID, endpointID *string) (int, error) {
	var ev, ep int64
	if (eventID == nil) != (endpointID == nil) {
		return 0, badInput("name both eventId and endpointId to redeliver one delivery, or neither for every dead one")
	}
	if eventID != nil {
		var err1, err2 error
		ev, err1 = strconv.ParseInt(*eventID, 10, 64)
		ep, err2 = strconv.ParseInt(*endpointID, 10, 64)
		if err1 != nil || err2 != nil || ev <= 0 || ep <= 0 {
			return 0, badInput("eventId and endpointId are the numeric ids webhookDeliveries lists")
		}
	}
	n, err := r.Webhooks.Redeliver(ctx, ev, ep)
	return n, webhookError(err)
}

func endpointModel(e db.WebhookEndpoint) model.WebhookEndpoint {
	types := []string(e.EventTypes)
	if types == nil {
		types = []string{}
	}
	return model.WebhookEndpoint{ID: strconv.FormatInt(e.ID, 10), Name: e.Name, URL: e.URL, EventTypes: types,
		Enabled: e.Enabled, IncludeValues: e.IncludeValues, SecretCount: len(e.Secrets)}
}

// CodeNotFound: the thing named does not exist (or is not in the state the operation needs).
const CodeNotFound = "NOT_FOUND"

func webhookError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, webhooks.ErrInvalidEndpoint):
		return badInput(err.Error())
	case errors.Is(err, webhooks.ErrNotFound):
		return &codedError{CodeNotFound, "no dead-lettered delivery of that event to that endpoint"}
	}
	return err
}
