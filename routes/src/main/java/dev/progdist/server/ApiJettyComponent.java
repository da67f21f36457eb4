package dev.progdist.server;

import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.spi.RestConfiguration;
import org.apache.camel.component.jetty.JettyHttpEndpoint;
import org.apache.camel.component.jetty12.JettyHttpComponent12;
import org.apache.camel.http.common.CamelServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Camel's Jetty 12 component with progdist's front door: an explicit thread budget, a limit on
 * open connections (with a short idle timeout while it is reached), an idle timeout and a
 * {@link HeaderDeadline} on the connector, problem+json
 * for Jetty's own error answers, and the {@link FrontDoorHandler} in front of Camel's servlet. The
 * hooks are the component's protected factory methods ({@code createServer},
 * {@code createConnectorJettyInternal}, {@code createServletForConnector}), each called once per
 * host and port before Jetty starts.
 */
public class ApiJettyComponent extends JettyHttpComponent12 {

    private final FrontDoorLimits limits;
    private final ProblemErrorHandler errors = new ProblemErrorHandler();
    private final ApiHttpBinding binding = new ApiHttpBinding();

    public ApiJettyComponent(FrontDoorLimits limits) {
        this.limits = limits;
        setMinThreads(limits.minThreads());
        setMaxThreads(limits.maxThreads());
        setErrorHandler(errors);
        setSendServerVersion(false);
    }

    /** The binding of every HTTP endpoint; plain jetty endpoints name it as {@code #apiHttpBinding}. */
    public ApiHttpBinding binding() {
        return binding;
    }

    /**
     * REST endpoints get Camel's REST binding unless the endpoint URI names another, and the REST
     * DSL's {@code endpointProperty} does not count as naming one: set ours on each endpoint here.
     */
    @Override
    public Consumer createConsumer(CamelContext camelContext, Processor processor, String verb, String basePath,
            String uriTemplate, String consumes, String produces, RestConfiguration configuration,
            Map<String, Object> parameters) throws Exception {
        Consumer consumer = super.createConsumer(camelContext, processor, verb, basePath, uriTemplate, consumes,
                produces, configuration, parameters);
        ((JettyHttpEndpoint) consumer.getEndpoint()).setHttpBinding(binding);
        return consumer;
    }

    @Override
    protected Server createServer() {
        Server server = super.createServer();
        // at the limit Jetty stops accepting: further connections wait in the kernel's backlog, and
        // the open ones get a short idle timeout
        NetworkConnectionLimit limit = new NetworkConnectionLimit(limits.maxConnections(), server);
        limit.setEndPointIdleTimeout(limits.idleTimeoutAtLimit().toMillis());
        server.addBean(limit);
        return server;
    }

    @Override
    protected AbstractConnector createConnectorJettyInternal(Server server, JettyHttpEndpoint endpoint,
            SslContextFactory.Server sslcf) {
        AbstractConnector connector = super.createConnectorJettyInternal(server, endpoint, sslcf);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        // the idle timeout restarts with every byte: the handshake and the headers get a deadline
        connector.addBean(new HeaderDeadline(connector.getScheduler(), limits.headerTimeout()));
        HttpConnectionFactory http = connector.getConnectionFactory(HttpConnectionFactory.class);
        http.getHttpConfiguration().setIdleTimeout(limits.idleTimeout().toMillis());
        // the minimum data rate is the front door's: Jetty's own check also fails a body that has
        // arrived whole when the route reads it later than its size allows (an empty upload, a small
        // body read after authentication), so it stays off
        http.getHttpConfiguration().setMinRequestDataRate(0);
        return connector;
    }

    @Override
    protected CamelServlet createServletForConnector(Server server, Connector connector, List<Handler> handlers,
            JettyHttpEndpoint endpoint) throws Exception {
        CamelServlet servlet = super.createServletForConnector(server, connector, handlers, endpoint);
        ServletContextHandler context = server.getDescendant(ServletContextHandler.class);
        context.setErrorHandler(errors);
        server.setHandler(new FrontDoorHandler(limits, server.getHandler()));
        return servlet;
    }
}
