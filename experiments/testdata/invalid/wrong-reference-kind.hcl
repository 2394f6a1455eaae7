experiment "kinds" {}

component "shop" {
  process {
    command = ["./shop", self.listen]
  }
}

workload "browse" {
  http {
    target = workload.browse # ERROR: Wrong kind of reference
    rate   = 10
  }
}

failure_mode "shop-slow" {
  component  = "shop" # ERROR: Invalid reference
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay = "1s"
  }
}

hypothesis "h" {
  failure_mode = component.shop # ERROR: Wrong kind of reference
  workload     = failure_mode.shop-slow # ERROR: Wrong kind of reference
  expect       = "steady"
}
