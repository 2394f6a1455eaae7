# Two failure modes for the game-day test: the first is injected and
# aborted from the keyboard, the second skipped at its prompt. The fault
# phase is long so that the abort lands well inside it.
experiment "gameday" {
  baseline = "5s"
  fault    = "20s"
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

workload "checkout" {
  http {
    target  = component.shop
    path    = "/checkout"
    rate    = 50
    timeout = "2s"
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

failure_mode "prices-flaky" {
  component  = component.prices
  cause      = "A bad replica"
  effect     = "Some lookups fail"
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "http_error" {
    status   = 503
    fraction = 0.5
  }
}

hypothesis "checkout-tolerates-slow-prices" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}

hypothesis "checkout-tolerates-flaky-prices" {
  failure_mode = failure_mode.prices-flaky
  workload     = workload.checkout
  expect       = "steady"
}
