# A staging experiment: components faultline does not start, with faults
# through local commands, HTTP requests and a remote Toxiproxy API.

experiment "checkout-staging" {
  environment = "staging"
  baseline    = "10s"
  fault       = "4s"
  recovery    = "4s"
  window      = "1s"
}

component "api" {
  function = "Serve checkout"
  endpoint {
    address = "127.0.0.1:8443"
    ready {
      http    = "/healthz"
      timeout = "3s"
    }
    toxiproxy {
      api   = "http://127.0.0.1:8474/"
      proxy = "api"
    }
  }
}

component "flags" {
  endpoint {
    address = "flags.staging.example.com:443"
  }
}

component "worker" {
  process {
    command = ["./bin/worker", "-api", component.api.url]
  }
}

workload "browse" {
  http {
    target = component.api
    rate   = 20
  }
}

failure_mode "flag-on" {
  component  = component.api
  severity   = 5
  occurrence = 4
  detection  = 3
  fault "exec" {
    command = ["./flag.sh", "on"]
    revert  = ["./flag.sh", "off"]
    timeout = "5s"
  }
  fault "http" {
    inject {
      method      = "put"
      url         = "http://127.0.0.1:9000/flags/slow"
      body        = "on"
      headers     = { "Content-Type" = "text/plain" }
      headers_env = { Authorization = "FLAG_TOKEN" }
      status      = 204
    }
    revert {
      method = "PUT"
      url    = "http://127.0.0.1:9000/flags/slow"
      body   = "off"
    }
    timeout = "2s"
  }
  fault "latency" {
    delay = "200ms"
  }
}

failure_mode "flags-down" {
  component  = component.flags
  severity   = 3
  occurrence = 3
  detection  = 3
  fault "http" {
    inject {
      url = "https://flags.staging.example.com/admin/stop"
    }
    revert {
      url = "https://flags.staging.example.com/admin/start"
    }
  }
}

hypothesis "browse-steady" {
  failure_mode = failure_mode.flag-on
  workload     = workload.browse
  expect       = "steady"
}
