package dev.progdist.server;

import jakarta.servlet.http.HttpServletRequest;
import org.apache.camel.Message;
import org.apache.camel.component.jetty.JettyRestHttpBinding;

/**
 * How every HTTP route of the server reads a request into a Camel message: Camel's REST binding
 * (path parameters such as {@code {sid}} become headers, and win over query parameters of the same
 * name), with the {@link ApiHeaderFilterStrategy}, no form-body mapping, and the
 * {@code Authorization} header taken from the HTTP request's headers only. Camel maps query
 * parameters into headers too; without this a {@code ?Authorization=Bearer ...} would
 * authenticate. (The front door refuses such a request before it gets here; this keeps the header
 * honest even so.)
 */
public class ApiHttpBinding extends JettyRestHttpBinding {

    static final String AUTHORIZATION = "Authorization";

    @SuppressWarnings("deprecation") // the endpoint-less constructor: one binding for all endpoints
    public ApiHttpBinding() {
        super();
        setHeaderFilterStrategy(new ApiHeaderFilterStrategy());
        setMapHttpMessageFormUrlEncodedBody(false);
    }

    @Override
    public void readRequest(HttpServletRequest request, Message message) {
        super.readRequest(request, message);
        message.removeHeader(AUTHORIZATION);
        String authorization = request.getHeader(AUTHORIZATION);
        if (authorization != null) {
            message.setHeader(AUTHORIZATION, authorization);
        }
    }
}
