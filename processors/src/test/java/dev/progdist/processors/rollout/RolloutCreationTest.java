package dev.progdist.processors.rollout;

import static dev.progdist.processors.rollout.RolloutFixture.filter;
import static dev.progdist.processors.rollout.RolloutFixture.list;
import static dev.progdist.processors.rollout.RolloutFixture.percents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.auth.Role;
import dev.progdist.protocol.wire.ProblemType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutCreationTest {

    @TempDir
    Path dir;
    RolloutFixture f;

    @BeforeEach
    void open() throws Exception {
        f = fixture();
    }

    /** The H2 file database; the PostgreSQL variant runs the same tests on the production database. */
    RolloutFixture fixture() throws Exception {
        return new RolloutFixture(dir, null);
    }

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    private void refused(ProblemType type, String message, Consumer<RolloutFixture.Req> change) {
        RolloutFixture.Req r = new RolloutFixture.Req();
        change.accept(r);
        assertThatThrownBy(() -> f.create(r)).isInstanceOf(RolloutException.class)
                .satisfies(e -> assertThat(((RolloutException) e).type()).isEqualTo(type))
                .hasMessageContaining(message);
        assertThat(f.count("SELECT COUNT(*) FROM rollouts")).as("nothing created").isZero();
        assertThat(f.count("SELECT COUNT(*) FROM rollout_assignments")).isZero();
        assertThat(f.events.pending()).isZero();
    }

    @Test
    void eachRefusedRequestCreatesNothing() {
        f.devices("d", 3);
        f.registry.setStatus("d-002", false);
        f.user("bob", Role.USER);
        f.devices("b", 1, "bob");
        refused(ProblemType.UNKNOWN_PROGRAM, "no published version 9.9", r -> r.version = "9.9");
        refused(ProblemType.UNKNOWN_PROGRAM, "program nothing", r -> r.programId = "nothing");
        refused(ProblemType.MISSING_FIELD, "version", r -> r.version = null);
        refused(ProblemType.NOT_ENTITLED, "bob", r -> { });
        refused(ProblemType.EMPTY_TARGETS, "tag=none", r -> r.targets = filter("tag=none"));
        refused(ProblemType.INVALID_TARGETS, "'nope' is not registered", r -> r.targets = list(List.of("d-001", "nope",
                "d-002", "bad id!", "d-001")));
        RolloutFixture.Req many = new RolloutFixture.Req();
        many.targets = list(List.of("d-001", "nope", "d-002", "bad id!", "d-001"));
        assertThatThrownBy(() -> f.create(many)).hasMessageContaining("4 bad entries")
                .hasMessageContaining("'d-002' is disabled").hasMessageContaining("entry 4 'bad id!' is not a device ID")
                .hasMessageContaining("entry 5 'd-001' is listed twice");
        refused(ProblemType.INVALID_FIELD, "exactly one", r -> r.targets = new RolloutRequest.Targets(List.of("d-001"),
                "owner=alice", null));
        refused(ProblemType.INVALID_FIELD, "filter term 'colour=red'", r -> r.targets = filter("colour=red"));
        refused(ProblemType.INVALID_FIELD, "successThreshold 0", r -> r.success = 0);
        refused(ProblemType.INVALID_FIELD, "successThreshold 101", r -> r.success = 101);
        refused(ProblemType.INVALID_FIELD, "errorThreshold '101%'", r -> r.error = "101%");
        refused(ProblemType.INVALID_FIELD, "errorThreshold '-1'", r -> r.error = "-1");
        refused(ProblemType.INVALID_FIELD, "errorThreshold 'lots'", r -> r.error = "lots");
        refused(ProblemType.INVALID_FIELD, "securityThreshold 0", r -> r.security = 0);
        refused(ProblemType.INVALID_FIELD, "retries 11", r -> r.retries = 11);
        refused(ProblemType.INVALID_FIELD, "deviceTimeout PT5S", r -> r.timeout = "5s");
        refused(ProblemType.INVALID_FIELD, "deviceTimeout PT192H", r -> r.timeout = "8d");
        refused(ProblemType.INVALID_FIELD, "deviceTimeout 'soon'", r -> r.timeout = "soon");
        refused(ProblemType.INVALID_FIELD, "group 2 is 3%", r -> r.groups = percents(5, 3, 100));
        refused(ProblemType.INVALID_FIELD, "must be 100", r -> r.groups = percents(5, 50));
        refused(ProblemType.INVALID_FIELD, "not a mix", r -> r.groups = List.of(new RolloutRequest.GroupSpec(5, null),
                new RolloutRequest.GroupSpec(null, "tag=beta")));
        refused(ProblemType.INVALID_FIELD, "never opens", r -> r.window = "02:00-02:00");
        refused(ProblemType.INVALID_FIELD, "not HH:MM-HH:MM", r -> r.window = "2-4");
        refused(ProblemType.INVALID_FIELD, "unknown time zone", r -> {
            r.window = "02:00-04:00";
            r.zone = "Mars/Olympus";
        });
        refused(ProblemType.INVALID_FIELD, "in the past", r -> r.startAt = f.clock.instant().minusSeconds(120).toString());
        refused(ProblemType.INVALID_FIELD, "dynamic needs a filter", r -> {
            r.targets = list(List.of("d-001"));
            r.dynamic = true;
        });
        refused(ProblemType.INVALID_FIELD, "onSuccess", r -> r.onSuccess = "later");
        refused(ProblemType.INVALID_FIELD, "mode", r -> r.mode = "plain");
    }

    @Test
    void cumulativePercentagesCutTheTargetsInOrderAndDropEmptyGroups() {
        List<String> ids = f.devices("d", 20);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(5, 25, 100);
        r.start = false;
        RolloutView v = f.create(r);
        assertThat(v.status()).isEqualTo("ready");
        assertThat(v.groups()).extracting(RolloutView.Group::size).containsExactly(1L, 4L, 15L);
        assertThat(v.groups()).extracting(RolloutView.Group::selector)
                .containsExactly("percent:5", "percent:25", "percent:100");
        assertThat(v.total()).isEqualTo(20);
        assertThat(v.counts()).containsOnlyKeys("scheduled", "offered", "delivering", "installed", "failed",
                "timed-out", "excluded", "cancelled").containsEntry("scheduled", 20L);
        // registration order: the first registered device is the canary
        assertThat(f.string("SELECT device_id FROM rollout_assignments WHERE rollout_id = ? AND group_no = 1", v.id()))
                .isEqualTo(ids.get(0));

        // 3 devices, 10,20,100: group 1 takes ceil(0.3) = 1, group 2 ceil(0.6) = 1 → empty, dropped
        RolloutFixture.Req small = new RolloutFixture.Req();
        small.targets = list(ids.subList(0, 3));
        small.groups = percents(10, 20, 100);
        assertThat(f.create(small).groups()).extracting(RolloutView.Group::size).containsExactly(1L, 2L);
    }

    @Test
    void explicitFilterGroupsTakeTheirMatchesAndTheRestFormsALastGroup() {
        List<String> ids = f.devices("d", 6);
        f.tag(ids.get(4), "beta");
        f.tag(ids.get(5), "beta");
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = List.of(new RolloutRequest.GroupSpec(null, "tag=beta"), new RolloutRequest.GroupSpec(null, "device=d-00?,tag=gamma"));
        RolloutView v = f.create(r);
        // the empty gamma group is dropped and the rest is numbered after the beta group
        assertThat(v.groups()).extracting(RolloutView.Group::selector).containsExactly("filter:tag=beta", "rest");
        assertThat(v.groups()).extracting(RolloutView.Group::size).containsExactly(2L, 4L);
        assertThat(f.string("SELECT MIN(device_id) FROM rollout_assignments WHERE rollout_id = ? AND group_no = 1", v.id()))
                .isEqualTo("d-005");
    }

    @Test
    void aFilterSelectsByOwnerGlobAndTags() {
        f.user("bob", Role.USER);
        f.entitlements.grant(RolloutFixture.PROGRAM, "bob", "olga");
        f.devices("lab", 3);
        f.devices("b", 2, "bob");
        f.tag("lab-002", "beta");
        f.tag("lab-002", "eu");
        f.tag("lab-003", "beta");
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.targets = filter("owner=alice tag=beta,tag=eu");
        assertThat(f.create(r).total()).isEqualTo(1);
        r.targets = filter("device=lab-*");
        assertThat(f.create(r).total()).isEqualTo(3);
        r.targets = filter("device=?-00?");
        assertThat(f.create(r).total()).isEqualTo(2);
    }

    @Test
    void randomOrderIsAReplayableShuffleWithItsSeedRecorded() {
        f.devices("d", 40);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.order = "random";
        r.groups = percents(10, 100);
        RolloutView a = f.create(r);
        assertThat(a.settings().seed()).isNotNull();
        r.seed = a.settings().seed();
        RolloutView b = f.create(r);
        assertThat(positions(a.id())).isEqualTo(positions(b.id()));
        List<String> registration = positions(a.id());
        assertThat(registration).doesNotHaveDuplicates().hasSize(40);
        assertThat(registration).isNotEqualTo(registration.stream().sorted().toList());
        r.seed = a.settings().seed() + 1;
        assertThat(positions(f.create(r).id())).isNotEqualTo(registration);
    }

    private List<String> positions(String id) {
        List<String> out = new ArrayList<>();
        for (int p = 0; p < 40; p++) {
            out.add(f.string("SELECT device_id FROM rollout_assignments WHERE rollout_id = ? AND position = ?", id, p));
        }
        return out;
    }

    @Test
    void approvalNeedsAnotherOperatorAndDenialKeepsTheRemark() {
        f.configure(f.settings.withApproval(true));
        f.devices("d", 2);
        RolloutView v = f.create(new RolloutFixture.Req());
        assertThat(v.status()).isEqualTo("waiting-for-approval");
        assertThatThrownBy(() -> f.rollouts.approve(v.id(), "olga", "me"))
                .satisfies(e -> assertThat(((RolloutException) e).type()).isEqualTo(ProblemType.SELF_APPROVAL));
        assertThatThrownBy(() -> f.rollouts.start(v.id(), "oscar"))
                .satisfies(e -> assertThat(((RolloutException) e).type()).isEqualTo(ProblemType.INVALID_STATE));
        f.scheduler.tick();
        assertThat(f.view(v.id()).groups().get(0).status()).as("nothing starts unapproved").isEqualTo("scheduled");
        RolloutView approved = f.rollouts.approve(v.id(), "oscar", "looks fine");
        assertThat(approved.status()).as("start was asked").isEqualTo("running");
        assertThat(approved.decidedBy()).isEqualTo("oscar");
        assertThat(approved.decisionRemark()).isEqualTo("looks fine");

        RolloutView w = f.create(new RolloutFixture.Req());
        RolloutView denied = f.rollouts.deny(w.id(), "oscar", "not before the audit");
        assertThat(denied.status()).isEqualTo("stopped");
        assertThat(denied.reason()).isEqualTo("denied");
        assertThat(denied.decisionRemark()).isEqualTo("not before the audit");
        assertThat(denied.counts()).containsEntry("cancelled", 2L);
        assertThatThrownBy(() -> f.rollouts.approve(w.id(), "oscar", null)).isInstanceOf(RolloutException.class)
                .hasMessageContaining("it is stopped");
    }

    @Test
    void actionsThatDoNotFitTheStateAreRefused() {
        f.devices("d", 1);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.start = false;
        RolloutView v = f.create(r);
        expectInvalidState(() -> f.rollouts.pause(v.id(), "olga"));
        expectInvalidState(() -> f.rollouts.resume(v.id(), "olga"));
        expectInvalidState(() -> f.rollouts.retry(v.id(), "olga"));
        assertThat(f.rollouts.start(v.id(), "olga").status()).isEqualTo("running");
        expectInvalidState(() -> f.rollouts.start(v.id(), "olga"));
        expectInvalidState(() -> f.rollouts.resume(v.id(), "olga"));
        f.scheduler.tick();
        assertThat(f.deliver("d-001", true, null)).isTrue();
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("finished");
        expectInvalidState(() -> f.rollouts.start(v.id(), "olga"));
        expectInvalidState(() -> f.rollouts.stop(v.id(), "olga"));
        expectInvalidState(() -> f.rollouts.triggerNextGroup(v.id(), "olga"));
        assertThatThrownBy(() -> f.rollouts.get("r-nothing"))
                .satisfies(e -> assertThat(((RolloutException) e).type()).isEqualTo(ProblemType.NOT_FOUND));
    }

    private static void expectInvalidState(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(RolloutException.class)
                .satisfies(e -> assertThat(((RolloutException) e).type()).isEqualTo(ProblemType.INVALID_STATE));
    }

    @Test
    void aCreationThatFailsEndsFailedAndLeavesOtherRolloutsRunning() {
        f.devices("d", 3);
        RolloutView healthy = f.create(new RolloutFixture.Req());
        f.sql("UPDATE devices SET certificate_pem = ? WHERE device_id = 'd-002'", pemOfSomething());
        f.validation = chain -> {
            throw new IllegalStateException("the validator broke");
        };
        f.configure(f.settings);
        RolloutView broken = f.create(new RolloutFixture.Req());
        f.validation = null;
        f.configure(f.settings);
        assertThat(broken.status()).isEqualTo("failed");
        assertThat(broken.reason()).isEqualTo("creation-failed");
        assertThat(broken.reasonDetail()).contains("the validator broke");
        assertThat(broken.total()).as("its partial assignments were rolled back").isZero();

        f.scheduler.tick();
        assertThat(f.deliver("d-001", true, null)).isTrue();
        assertThat(f.view(healthy.id()).status()).isEqualTo("running");
        assertThat(f.view(healthy.id()).counts()).containsEntry("installed", 1L);
        assertThat(f.drainEvents()).anyMatch(e -> e.contains("\"rolloutId\":\"" + broken.id() + "\"")
                && e.contains("\"to\":\"failed\"") && e.contains("\"reason\":\"creation-failed\""));
    }

    /** A real certificate, so the failure comes from the validator and not from parsing. */
    private static String pemOfSomething() {
        try {
            var g = java.security.KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            var keys = g.generateKeyPair();
            var name = new org.bouncycastle.asn1.x500.X500Name("CN=x");
            var cert = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, java.math.BigInteger.ONE,
                    new java.util.Date(), new java.util.Date(System.currentTimeMillis() + 86_400_000L), name,
                    keys.getPublic()).build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                            .build(keys.getPrivate()));
            return dev.progdist.protocol.keys.Pem.toPem(
                    new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(cert));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
