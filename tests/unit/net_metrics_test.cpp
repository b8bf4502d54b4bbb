#define CAF_SUITE net_metrics
#include "caf/test/unit_test.hpp"

#include <string>

#include "actors/metrics.hpp"
#include "net/metrics_text.hpp"

using namespace parley;

CAF_TEST(histograms count into the first bucket that holds the value) {
  actors::histogram h{{1, 2, 5}};
  for (double v : {0.5, 1.0, 1.5, 4.0, 5.0, 7.0, 100.0})
    h.observe(v);
  CAF_CHECK_EQUAL(h.counts(), (std::vector<uint64_t>{2, 1, 2, 2}));
  CAF_CHECK_EQUAL(h.count(), 7u);
  CAF_CHECK_LESS(h.sum() - 119.0, 1e-6);
  CAF_CHECK_GREATER(h.sum() - 119.0, -1e-6);
}

CAF_TEST(the text format is cumulative with an Inf bucket and a sum and count) {
  actors::metrics m;
  m.connections_open.add(3);
  m.connections_open.sub(1);
  m.deliveries.inc(41);
  m.deliveries.inc();
  m.ack_latency.observe(0.0007);
  m.ack_latency.observe(0.003);
  m.ack_latency.observe(99);
  auto text = net::render_metrics(m, {17, false});
  auto has = [&](const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  };
  CAF_CHECK(has("# TYPE parley_connections gauge"));
  CAF_CHECK(has("parley_connections 2"));
  CAF_CHECK(has("# TYPE parley_deliveries_total counter"));
  CAF_CHECK(has("parley_deliveries_total 42"));
  CAF_CHECK(has("parley_writer_backlog 17"));
  CAF_CHECK(has("parley_storage_healthy 0"));
  CAF_CHECK(has("# TYPE parley_ack_latency_seconds histogram"));
  CAF_CHECK(has("parley_ack_latency_seconds_bucket{le=\"0.0005\"} 0"));
  CAF_CHECK(has("parley_ack_latency_seconds_bucket{le=\"0.001\"} 1"));
  CAF_CHECK(has("parley_ack_latency_seconds_bucket{le=\"0.005\"} 2"));
  CAF_CHECK(has("parley_ack_latency_seconds_bucket{le=\"10\"} 2"));
  CAF_CHECK(has("parley_ack_latency_seconds_bucket{le=\"+Inf\"} 3"));
  CAF_CHECK(has("parley_ack_latency_seconds_count 3"));
  CAF_CHECK(text.find("parley_ack_latency_seconds_sum 99.0037") != std::string::npos);
}
