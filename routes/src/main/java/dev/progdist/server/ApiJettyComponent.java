package dev.progdist.server;

import java.util.List;
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
 * open connections, an idle timeout and a minimum request data rate on the connector, problem+json
 * for Jetty's own error answers, and the {@link FrontDoorHandler} in front of Camel's servlet. The
 * hooks are the component's protected factory methods ({@code createServer},
 * {@code createConnectorJettyInternal}, {@code createServletForConnector}), each called once per
 * host and port before Jetty starts.
 */
public class ApiJettyComponent extends JettyHttpComponent12 {

    private final FrontDoorLimits limits;
    private final ProblemErrorHandler errors = new ProblemErrorHandler();

    public ApiJettyComponent(FrontDoorLimits limits) {
        this.limits = limits;
        setMinThreads(limits.minThreads());
        setMaxThreads(limits.maxThreads());
        setErrorHandler(errors);
        setSendServerVersion(false);
    }

    @Override
    protected Server createServer() {
        Server server = super.createServer();
        // at the limit Jetty stops accepting: further connections wait in the kernel's backlog
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), server));
        return server;
    }

    @Override
    protected AbstractConnector createConnectorJettyInternal(Server server, JettyHttpEndpoint endpoint,
            SslContextFactory.Server sslcf) {
        AbstractConnector connector = super.createConnectorJettyInternal(server, endpoint, sslcf);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        HttpConnectionFactory http = connector.getConnectionFactory(HttpConnectionFactory.class);
        http.getHttpConfiguration().setMinRequestDataRate(limits.minRequestDataRate());
        http.getHttpConfiguration().setIdleTimeout(limits.idleTimeout().toMillis());
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
