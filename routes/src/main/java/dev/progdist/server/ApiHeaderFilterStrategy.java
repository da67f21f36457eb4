package dev.progdist.server;

import org.apache.camel.http.common.HttpHeaderFilterStrategy;

/**
 * Camel's HTTP header filter, which already drops incoming {@code Camel*} headers so a caller
 * cannot steer routing, but lets {@code Cache-Control} out: responses carrying sessions and
 * refusals must say {@code no-store}.
 */
public class ApiHeaderFilterStrategy extends HttpHeaderFilterStrategy {

    public ApiHeaderFilterStrategy() {
        getOutFilter().remove("cache-control");
    }
}
