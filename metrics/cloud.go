package metrics

// ObserveJob counts one run of a cloud provider job (cloudsync.Observer).
func (m *Metrics) ObserveJob(provider, kind, outcome string) {
	m.providerJobs.WithLabelValues(provider, kind, outcome).Inc()
}

// ObserveWebhook counts one cloud provider webhook call (cloudsync.Observer).
func (m *Metrics) ObserveWebhook(provider, outcome string) {
	m.webhooks.WithLabelValues(provider, outcome).Inc()
}
