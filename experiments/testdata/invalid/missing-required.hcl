experiment "missing" {}

component "api" {
  process { # ERROR: Missing required argument
    env = { A = "b" }
  }
}

component "bare" { # ERROR: Missing runtime block
  function = "Does nothing"
}

workload "w" {
  http { # ERROR: Missing required argument
    target = component.api
  }
}

workload "empty" { # ERROR: Missing generator block
}

failure_mode "slow" { # ERROR: Missing required argument # ERROR: Missing required argument
  component = component.api
  severity  = 5
  fault "latency" { # ERROR: Missing required argument
    jitter = "1ms"
  }
  fault "bandwidth" {} # ERROR: Missing required argument
  fault "limit_data" {} # ERROR: Missing required argument
  fault "http_error" {} # ERROR: Missing required argument
}

failure_mode "nothing" { # ERROR: Missing required argument # ERROR: Missing fault block
  severity   = 5
  occurrence = 5
  detection  = 5
}

hypothesis "h" { # ERROR: Missing required argument # ERROR: Missing required argument
  workload = workload.w
}

failure_mode "bare-crash" {
  component  = component.bare
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {} # no error: the missing runtime is reported once, at the component
}
