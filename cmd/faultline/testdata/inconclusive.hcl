# testdata/short.hcl with too little traffic to judge: 2 requests a
# second give the baseline fewer events than a cohort needs, so the
# hypothesis is inconclusive (and nothing is refuted or aborted).
experiment "inconclusive" {
  baseline = "5s"
  fault    = "2s"
  recovery = "2s"
  window   = "1s"
}

component "prices" {
  function = "Answer prices"
  process {
    command = ["./bin/prices", "-listen", self.listen]
    ready { http = "/healthz" }
  }
}

component "shop" {
  function = "Serve the shop"
  process {
    command = ["./bin/shop", "-listen", self.listen]
    env     = { PRICES_URL = component.prices.url }
    ready { http = "/healthz" }
  }
}

workload "catalog" {
  http {
    target = component.shop
    path   = "/catalog"
    rate   = 2
  }
}

failure_mode "prices-slow" {
  component  = component.prices
  cause      = "Load"
  effect     = "Slow lookups"
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" { delay = "300ms" }
}

hypothesis "catalog-steady" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.catalog
  expect       = "steady"
}
