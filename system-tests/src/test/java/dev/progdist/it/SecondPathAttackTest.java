package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.tls.TlsRecords;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A gateway that lies. The relay runs for real (HTTPS, broker, TRP emulator, server) but a tap
 * changes what it forwards, in each direction. Whatever it does, the TRP must not end up bound
 * to the session, the server must record no authentication for it, and the channel must end
 * with a recorded reason.
 */
class SecondPathAttackTest {

    static final char[] SECRET = "attack-test-secret".toCharArray();
    static final String DEVICE = "atk-ec";

    @TempDir
    static Path dir;
    static Fleet fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "dave", SECRET, Map.of(DEVICE, KeyType.EC_P256));
        fleet.register(DEVICE, "dave");
        DeviceBus bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> bus.status(DEVICE) != null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** Which way the tampered bytes travel. */
    enum Direction { TO_SERVER, TO_TRP }

    /** Tampering applied to one relay step's records (round 1: ClientHello / server flight; round 2 after). */
    enum Attack {
        FLIP_ONE_BYTE(records -> {
            byte[] last = records.get(records.size() - 1).clone();
            last[last.length - 1] ^= 0x01;
            records.set(records.size() - 1, last);
            return records;
        }),
        DROP_A_RECORD(records -> {
            // not a ChangeCipherSpec (type 20): TLS 1.3 ignores those by design, dropping one is no attack
            for (int i = 0; i < records.size(); i++) {
                if (records.get(i)[0] != 20) {
                    records.remove(i);
                    break;
                }
            }
            return records;
        }),
        REPLAY_A_RECORD(records -> {
            records.add(records.get(records.size() - 1));
            return records;
        }),
        REORDER_TWO_RECORDS(records -> {
            if (records.size() >= 2) {
                byte[] a = records.get(records.size() - 2);
                records.set(records.size() - 2, records.get(records.size() - 1));
                records.set(records.size() - 1, a);
            } else {
                records.add(0, records.get(0)); // one record: replay it in front of itself
            }
            return records;
        }),
        TRUNCATE(records -> {
            // the stream stops half-way through the flight, possibly inside a record
            byte[] all = TlsRecords.join(records);
            records.clear();
            records.add(Arrays.copyOf(all, all.length / 2));
            return records;
        });

        final UnaryOperator<List<byte[]>> change;

        Attack(UnaryOperator<List<byte[]>> change) {
            this.change = change;
        }
    }

    @ParameterizedTest(name = "{0} towards the server")
    @EnumSource(Attack.class)
    void tamperingTowardsTheServerIsCaught(Attack attack) {
        // round 2 carries the TRP's Certificate, CertificateVerify, Finished and its Hello
        assertCaught(tap(Direction.TO_SERVER, 2, attack.change), attack == Attack.TRUNCATE);
    }

    @ParameterizedTest(name = "{0} towards the TRP")
    @EnumSource(Attack.class)
    void tamperingTowardsTheTrpIsCaught(Attack attack) {
        // round 1 carries the server's whole flight: ServerHello … Finished
        assertCaught(tap(Direction.TO_TRP, 1, attack.change), attack == Attack.TRUNCATE);
    }

    @Test
    void recordsSplicedFromAnotherSessionAreCaught() {
        List<byte[]> recorded = new ArrayList<>();
        ChannelRelay.Outcome first = relay().connect(DEVICE, new ChannelRelay.RecordTap() {
            @Override
            public byte[] toServer(int round, byte[] records) {
                if (round == 2) {
                    recorded.addAll(TlsRecords.split(records));
                }
                return records;
            }
        });
        assertThat(first.authenticated()).isTrue();

        assertCaught(tap(Direction.TO_SERVER, 2, records -> {
            records.set(records.size() - 1, recorded.get(recorded.size() - 1));
            return records;
        }), false);
    }

    @Test
    void replacingTheTrpsKeyShareIsCaught() throws Exception {
        byte[] encoded = KeyPairGenerator.getInstance("X25519").generateKeyPair().getPublic().getEncoded();
        byte[] attackerShare = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
        assertCaught(new ChannelRelay.RecordTap() {
            @Override
            public byte[] toServer(int round, byte[] records) {
                if (round != 1) {
                    return records;
                }
                byte[] hello = records.clone();
                int at = indexOf(hello, new byte[] {0x00, 0x1d, 0x00, 0x20}); // x25519, 32-byte key share
                assertThat(at).as("an x25519 key share in the ClientHello").isPositive();
                System.arraycopy(attackerShare, 0, hello, at + 4, 32);
                return hello;
            }
        }, false);
    }

    /**
     * After a channel ended, only a ClientHello starts the session's next one: a record relayed
     * later (a TRP that answers close_notify, a late retry, junk) reaches the ended channel, which
     * ignores it and answers its end again, without a new channel, a tls-failure row or a count
     * against the session's new-channel rate.
     */
    @Test
    void aRecordAfterTheChannelEndedDoesNotStartANewChannel() {
        ChannelRelay relay = relay();
        ChannelRelay.Outcome first = relay.connect(DEVICE);
        assertThat(first.authenticated()).isTrue();
        // the TRP had nothing to fetch: it closed the channel, and the server recorded its end
        assertThat(first.serverState()).isEqualTo("closed");
        String session = keeper.session().sessionId();
        ChannelLog log = fleet.serverBean("channelLog", ChannelLog.class);
        FirstPathClient client = fleet.client();
        int before = log.forSession(session).size();

        // an application-data record (type 23), as a TRP answering close_notify would send
        byte[] stray = {23, 3, 3, 0, 4, 1, 2, 3, 4};
        FirstPathClient.ChannelReply reply = client.postChannel(keeper.session(), stray);

        assertThat(reply.records()).isEmpty();
        assertThat(reply.state()).isIn("closed", "failed");
        assertThat(log.forSession(session)).hasSize(before);
        // and a real new connection still starts a channel in the same session
        assertThat(relay.connect(DEVICE).authenticated()).isTrue();
    }

    @Test
    void theHonestRelayStillWorksAfterAllThat() {
        assertThat(relay().connect(DEVICE).authenticated()).isTrue();
    }

    private static ChannelRelay.RecordTap tap(Direction direction, int atRound, UnaryOperator<List<byte[]>> change) {
        return new ChannelRelay.RecordTap() {
            @Override
            public byte[] toServer(int round, byte[] records) {
                return direction == Direction.TO_SERVER && round == atRound ? apply(records) : records;
            }

            @Override
            public byte[] toTrp(int round, byte[] records) {
                return direction == Direction.TO_TRP && round == atRound ? apply(records) : records;
            }

            private byte[] apply(byte[] records) {
                return TlsRecords.join(change.apply(new ArrayList<>(TlsRecords.split(records))));
            }
        };
    }

    private SessionKeeper keeper;

    private ChannelRelay relay() {
        FirstPathClient client = fleet.client();
        keeper = new SessionKeeper(client, "dave", SECRET, Duration.ofMinutes(5), Clock.systemUTC());
        return new ChannelRelay(keeper, client, fleet.gatewayBean("deviceBus", DeviceBus.class));
    }

    private void assertCaught(ChannelRelay.RecordTap tap, boolean serverMayJustWait) {
        ChannelRelay relay = relay();
        ChannelRelay.Outcome outcome = relay.connect(DEVICE, tap);
        String session = keeper.session().sessionId();
        ChannelLog log = fleet.serverBean("channelLog", ChannelLog.class);

        assertThat(outcome.authenticated()).as("TRP bound despite tampering: %s", outcome).isFalse();
        if (serverMayJustWait) {
            // a cut-off stream leaves the server waiting for the rest: the idle timeout ends it
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                fleet.serverBean("innerChannel", InnerChannel.class).expireIdle();
                return !log.forSession(session).isEmpty();
            });
        }
        List<ChannelLog.Event> events = log.forSession(session);
        assertThat(events).extracting(ChannelLog.Event::outcome).doesNotContain("authenticated");
        assertThat(events).as("a recorded end for session %s", session).isNotEmpty()
                .allSatisfy(e -> assertThat(e.code()).isNotBlank());
        assertThat(events).extracting(ChannelLog.Event::outcome).containsAnyOf("failed", "refused");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
