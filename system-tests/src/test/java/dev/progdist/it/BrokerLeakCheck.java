package dev.progdist.it;

import java.util.ArrayList;
import java.util.List;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMAcceptor;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After every test class of this module (registered for all of them through
 * {@code META-INF/services} and {@code junit-platform.properties}): an embedded broker still
 * holding its in-VM acceptor means the class left a server, gateway or fleet running, with its
 * threads, journal and ports, into every later class of the same JVM. This names that class in the
 * log and stops the acceptor.
 */
public final class BrokerLeakCheck implements AfterAllCallback {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerLeakCheck.class);
    /** Brokers take IDs 0, 1, 2 … in the order they are made; no test JVM makes this many. */
    private static final int HIGHEST_ID = 10_000;

    @Override
    public void afterAll(ExtensionContext context) {
        if (InVMRegistry.instance.size() == 0) {
            return;
        }
        List<Integer> left = new ArrayList<>();
        for (int id = 0; id <= HIGHEST_ID; id++) {
            InVMAcceptor acceptor = InVMRegistry.instance.getAcceptor(id);
            if (acceptor != null) {
                left.add(id);
                try {
                    acceptor.stop();
                } catch (Exception e) {
                    InVMRegistry.instance.unregisterAcceptor(id);
                }
            }
        }
        LOG.error("{} left an embedded broker running: in-VM acceptor(s) {} still registered after its last "
                + "test (a fixture did not stop its server or gateway); their IDs are freed for the next class",
                context.getRequiredTestClass().getName(), left);
    }
}
