package dev.progdist.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.trp.TrpFault;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The --faults spec and the deterministic choice of misbehaving devices. */
class FaultPlanTest {

    @Test
    void theSpecKeepsItsOrderAndCounts() {
        FaultPlan p = FaultPlan.parse("refuse-install=2, storage-full=1,bad-receipt=1,vanish=1,slow=3");
        assertThat(p.counts()).containsExactly(Map.entry(TrpFault.REFUSE_INSTALL, 2), Map.entry(TrpFault.STORAGE_FULL, 1),
                Map.entry(TrpFault.BAD_RECEIPT, 1), Map.entry(TrpFault.VANISH, 1), Map.entry(TrpFault.SLOW, 3));
        assertThat(p.total()).isEqualTo(8);
        assertThat(p).hasToString("refuse-install=2,storage-full=1,bad-receipt=1,vanish=1,slow=3");
    }

    @Test
    void noSpecIsNoFaults() {
        assertThat(FaultPlan.parse(null).counts()).isEmpty();
        assertThat(FaultPlan.parse("  ").assign(List.of("a-0001"))).isEmpty();
    }

    @Test
    void eachFaultTakesTheFirstDevicesNotYetTakenInSpecOrder() {
        List<String> devices = FleetDevices.ids("P", 10);
        Map<String, TrpFault> assigned = FaultPlan.parse("vanish=1,refuse-install=2,slow=0,bad-receipt=1").assign(devices);

        assertThat(assigned).containsExactly(Map.entry("P-0001", TrpFault.VANISH),
                Map.entry("P-0002", TrpFault.REFUSE_INSTALL), Map.entry("P-0003", TrpFault.REFUSE_INSTALL),
                Map.entry("P-0004", TrpFault.BAD_RECEIPT));
        assertThat(FaultPlan.describe(assigned))
                .isEqualTo("vanish: P-0001; refuse-install: P-0002, P-0003; bad-receipt: P-0004");
        // the same spec, the same devices: a run can be repeated
        assertThat(FaultPlan.parse("vanish=1,refuse-install=2,slow=0,bad-receipt=1").assign(devices)).isEqualTo(assigned);
    }

    @Test
    void badSpecsAreRefusedNamingTheEntry() {
        assertThatThrownBy(() -> FaultPlan.parse("explode=1")).hasMessageContaining("unknown fault 'explode'");
        assertThatThrownBy(() -> FaultPlan.parse("slow")).hasMessageContaining("'slow' is not FAULT=COUNT");
        assertThatThrownBy(() -> FaultPlan.parse("slow=-1")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> FaultPlan.parse("slow=x")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> FaultPlan.parse("slow=1,slow=2")).hasMessageContaining("slow twice");
        assertThatThrownBy(() -> FaultPlan.parse("vanish=3,slow=3").assign(FleetDevices.ids("P", 5)))
                .hasMessageContaining("6 misbehaving devices but the fleet has 5");
    }

    @Test
    void deviceIdsArePaddedAndChecked() {
        assertThat(FleetDevices.ids("lab", 3)).containsExactly("lab-0001", "lab-0002", "lab-0003");
        assertThat(FleetDevices.id("P", 12345)).isEqualTo("P-12345");
        assertThatThrownBy(() -> FleetDevices.ids("bad/prefix", 3)).hasMessageContaining("--prefix");
        assertThatThrownBy(() -> FleetDevices.ids("P", 0)).hasMessageContaining("--devices");
    }
}
