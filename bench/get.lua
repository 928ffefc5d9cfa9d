-- wrk script: GET requests; prints the figures the benchmark reports.
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT errors=%d p50_ms=%.2f p99_ms=%.2f rps=%.1f\n",
    errors, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
