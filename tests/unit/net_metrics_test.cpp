#define CAF_SUITE net_metrics
#include "caf/test/unit_test.hpp"

#include <stdexcept>
#include <string>
#include <vector>

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

CAF_TEST(a histogram batch adds what it counted when it ends and not before) {
  actors::histogram direct{{1, 2, 5}};
  actors::histogram batched{{1, 2, 5}};
  std::vector<double> values{0.5, 1.0, 1.5, 4.0, 5.0, 7.0, 100.0, 0.0, 2.0};
  {
    actors::histogram_batch batch{batched};
    for (double v : values) {
      direct.observe(v);
      batch.observe(v);
    }
    CAF_CHECK_EQUAL(batched.count(), 0u);
  }
  CAF_CHECK_EQUAL(batched.counts(), direct.counts());
  CAF_CHECK_EQUAL(batched.count(), direct.count());
  CAF_CHECK_EQUAL(batched.sum(), direct.sum());
  {
    actors::histogram_batch empty{batched};
  }
  CAF_CHECK_EQUAL(batched.count(), values.size());
}

CAF_TEST(a histogram refuses more bounds than a batch can count) {
  std::vector<double> bounds(actors::histogram::max_buckets - 1);
  for (size_t i = 0; i < bounds.size(); ++i)
    bounds[i] = static_cast<double>(i);
  actors::histogram largest{bounds};
  largest.observe(1e9);
  CAF_CHECK_EQUAL(largest.counts().back(), 1u);
  bounds.push_back(1e6);
  bool refused = false;
  try {
    actors::histogram too_many{bounds};
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CAF_CHECK(refused);
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
