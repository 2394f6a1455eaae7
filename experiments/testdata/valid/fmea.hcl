# The FMEA attributes: the worksheet header, current controls and
# recommended actions.

experiment "fmea" {}

fmea {
  system   = "Web shop"
  scope    = "Checkout, from the shop to the prices service"
  team     = ["Ana (SRE)", "Bo (payments)"]
  revision = 3
  date     = "2026-11-27"
}

component "prices" {
  function = "Answer the current price of an item"
  process {
    command = ["./bin/prices", "-listen", self.listen]
  }
}

workload "checkout" {
  http {
    target = component.prices
    rate   = 10
  }
}

failure_mode "prices-slow" {
  component          = component.prices
  cause              = "Prices database under load"
  effect             = "Every price lookup waits"
  severity           = 6
  occurrence         = 4
  detection          = 5
  prevention         = ["Connection pool sized for peak load", "Query timeout of 1s"]
  detection_controls = ["p99 latency dashboard, reviewed daily"]
  fault "latency" { delay = "300ms" }
  detection {
    alert  = "PricesSlow"
    within = "20s"
  }
  action "Add a 250ms timeout to checkout's price lookup" {
    owner  = "Bo (payments)"
    status = "in_progress"
    due    = "2027-01-31"
  }
  action "Cache prices in the shop" {}
}

failure_mode "prices-down" {
  component  = component.prices
  severity   = 8
  occurrence = 2
  detection  = 3
  prevention = []
  fault "kill" {}
}

hypothesis "checkout-steady" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}
