# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shipped in the tarball, not installed: a systemd unit and Prometheus scrape configs.
EXTRA_DIST += \
	contrib/prometheus/emf-fleet.yml \
	contrib/prometheus/emf-one-host.yml \
	contrib/prometheus/emf-targets.json \
	contrib/systemd/emf-agent.service \
	$(NULL)
