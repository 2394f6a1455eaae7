experiment "fmea" {
  fmea {} # ERROR: Unsupported block type
}

fmea {
  system   = "" # ERROR: Empty value
  scope    = ["a"] # ERROR: Incorrect value type
  team     = ["Ana", " "] # ERROR: Empty value
  revison  = "3" # ERROR: Unsupported argument
  date     = "27.11.2026" # ERROR: Invalid date
}

fmea { # ERROR: Duplicate fmea block
  system = "Shop"
}

fmea "shop" { # ERROR: Extraneous block label
}

action "Orphan" {} # ERROR: Unsupported block type

component "prices" {
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
  severity           = 6
  occurrence         = 4
  detection          = 5
  prevention         = "Query timeout" # ERROR: Incorrect value type
  detection_control  = ["dashboard"] # ERROR: Unsupported argument
  fault "latency" { delay = "300ms" }
  action "Add a timeout" {
    owner  = "" # ERROR: Empty value
    status = "in progress" # ERROR: Invalid action status
    due    = "tomorrow" # ERROR: Invalid date
    by     = "x" # ERROR: Unsupported argument
  }
  action "Add a timeout" {} # ERROR: Duplicate action
  action "" {} # ERROR: Empty action
  action { # ERROR: Missing block label
  }
}

hypothesis "checkout-steady" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}
