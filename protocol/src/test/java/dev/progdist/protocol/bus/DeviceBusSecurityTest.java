package dev.progdist.protocol.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import javax.security.auth.Subject;
import org.apache.activemq.artemis.core.security.CheckType;
import org.apache.activemq.artemis.spi.core.security.jaas.UserPrincipal;
import org.junit.jupiter.api.Test;

/**
 * The device bus's rules, check by check (the whole-system test drives them through a real
 * broker): each TRP its own pair, the gateway the other side of every pair, nobody anything else.
 */
class DeviceBusSecurityTest {

    private final DeviceBusSecurity security = new DeviceBusSecurity("gw-secret".toCharArray(),
            Map.of("d1", "d1-secret".toCharArray())::get);

    private boolean may(String user, CheckType check, String address) {
        Subject subject = new Subject();
        subject.getPrincipals().add(new UserPrincipal(user));
        return security.authorize(subject, Set.of(), check, address);
    }

    @Test
    void aTrpConsumesItsRequestsAndSendsItsReplies() {
        assertThat(may("trp-d1", CheckType.CONSUME, "trp.d1.in::trp.d1.in")).isTrue();
        assertThat(may("trp-d1", CheckType.SEND, "trp.d1.out")).isTrue();
        assertThat(may("trp-d1", CheckType.CREATE_ADDRESS, "trp.d1.out")).isTrue();
        assertThat(may("trp-d1", CheckType.CREATE_DURABLE_QUEUE, "trp.d1.in::trp.d1.in")).isTrue();

        assertThat(may("trp-d1", CheckType.SEND, "trp.d1.in")).isFalse();
        assertThat(may("trp-d1", CheckType.CONSUME, "trp.d1.out::trp.d1.out")).isFalse();
        assertThat(may("trp-d1", CheckType.CONSUME, "trp.d2.in::trp.d2.in")).isFalse();
        assertThat(may("trp-d1", CheckType.SEND, "trp.d2.out")).isFalse();
        assertThat(may("trp-d1", CheckType.CREATE_ADDRESS, "trp.d2.in")).isFalse();
        // a second queue on its own address, a non-durable one, browsing, deleting
        assertThat(may("trp-d1", CheckType.CONSUME, "trp.d1.in::sidecar")).isFalse();
        assertThat(may("trp-d1", CheckType.CREATE_DURABLE_QUEUE, "trp.d1.in::sidecar")).isFalse();
        assertThat(may("trp-d1", CheckType.CREATE_NON_DURABLE_QUEUE, "trp.d1.in::trp.d1.in")).isFalse();
        assertThat(may("trp-d1", CheckType.BROWSE, "trp.d1.in::trp.d1.in")).isFalse();
        assertThat(may("trp-d1", CheckType.DELETE_ADDRESS, "trp.d1.in")).isFalse();
    }

    @Test
    void theGatewaySendsRequestsAndConsumesReplies() {
        assertThat(may("gateway", CheckType.SEND, "trp.d1.in")).isTrue();
        assertThat(may("gateway", CheckType.CONSUME, "trp.d1.out::trp.d1.out")).isTrue();
        assertThat(may("gateway", CheckType.CREATE_DURABLE_QUEUE, "trp.d9.out::trp.d9.out")).isTrue();

        assertThat(may("gateway", CheckType.CONSUME, "trp.d1.in::trp.d1.in")).isFalse();
        assertThat(may("gateway", CheckType.SEND, "trp.d1.out")).isFalse();
    }

    @Test
    void nobodyManagesOrLeavesTrpStar() {
        for (String user : new String[] {"gateway", "trp-d1"}) {
            assertThat(may(user, CheckType.MANAGE, "activemq.management")).isFalse();
            assertThat(may(user, CheckType.SEND, "activemq.management")).isFalse();
            assertThat(may(user, CheckType.CREATE_NON_DURABLE_QUEUE, "activemq.notifications::x")).isFalse();
            assertThat(may(user, CheckType.SEND, "DLQ")).isFalse();
            assertThat(may(user, CheckType.CREATE_ADDRESS, "progdist.elsewhere")).isFalse();
            // not IDs the device rules refuse, nor other suffixes
            assertThat(may(user, CheckType.CREATE_ADDRESS, "trp..in")).isFalse();
            assertThat(may(user, CheckType.CREATE_ADDRESS, "trp.d1.in.extra")).isFalse();
            assertThat(may(user, CheckType.CREATE_ADDRESS, "trp.-x.in")).isFalse();
            assertThat(may(user, CheckType.CREATE_ADDRESS, "trp.d1.err")).isFalse();
        }
        assertThat(security.authorize(null, Set.of(), CheckType.SEND, "trp.d1.in")).isFalse();
        assertThat(may("someone", CheckType.SEND, "trp.d1.in")).isFalse();
    }

    @Test
    void trpLoginsNeedTheirOwnSecret() {
        assertThat(security.authenticate("trp-d1", "d1-secret", null, null)).isNotNull();
        assertThat(security.authenticate("trp-d1", "d1-secreT", null, null)).isNull();
        assertThat(security.authenticate("trp-d1", "", null, null)).isNull();
        assertThat(security.authenticate("trp-d1", null, null, null)).isNull();
        assertThat(security.authenticate(null, null, null, null)).isNull();
        assertThat(security.authenticate("trp-d2", "d1-secret", null, null)).isNull();
        assertThat(security.authenticate("trp-", "d1-secret", null, null)).isNull();
        // the gateway only over in-VM (here: no connection at all)
        assertThat(security.authenticate("gateway", "gw-secret", null, null)).isNull();
    }

    @Test
    void anEmptyStoredSecretMatchesNothing() {
        DeviceBusSecurity empty = new DeviceBusSecurity("gw".toCharArray(), d -> new char[0]);
        assertThat(empty.authenticate("trp-d1", "", null, null)).isNull();
    }
}
