package dev.progdist.fleet;

import dev.progdist.trp.TrpFault;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fleet's {@code --faults} spec, e.g. {@code refuse-install=2,storage-full=1,vanish=1,slow=3}:
 * how many devices show each {@link TrpFault}. Devices are chosen deterministically, so a run can
 * be repeated and the choice printed: in the order of the spec, each fault takes the first K of
 * the devices not yet chosen, in fleet order ({@code P-0001} first). Each device shows at most one
 * fault.
 */
public final class FaultPlan {

    /** The most entries a spec may have (one per fault, each at most once). */
    private static final int MAX_SPEC_CHARS = 512;

    private final Map<TrpFault, Integer> counts;

    private FaultPlan(Map<TrpFault, Integer> counts) {
        this.counts = Collections.unmodifiableMap(counts);
    }

    public static final FaultPlan NONE = new FaultPlan(new LinkedHashMap<>());

    /**
     * Parses {@code spec} ({@code null} or blank: no faults).
     *
     * @throws IllegalArgumentException naming the bad entry: an unknown fault, a fault named twice,
     *                                  a count that is not a whole number 0..1,000,000
     */
    public static FaultPlan parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        if (spec.length() > MAX_SPEC_CHARS) {
            throw new IllegalArgumentException("--faults is longer than " + MAX_SPEC_CHARS + " characters");
        }
        Map<TrpFault, Integer> counts = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--faults entry '" + e + "' is not FAULT=COUNT");
            }
            TrpFault fault = TrpFault.parse(e.substring(0, eq));
            int count;
            try {
                count = Integer.parseInt(e.substring(eq + 1).strip());
            } catch (NumberFormatException notANumber) {
                count = -1;
            }
            if (count < 0 || count > 1_000_000) {
                throw new IllegalArgumentException("--faults entry '" + e + "': the count must be a whole number "
                        + "from 0 to 1000000");
            }
            if (counts.putIfAbsent(fault, count) != null) {
                throw new IllegalArgumentException("--faults names " + fault.label() + " twice");
            }
        }
        return new FaultPlan(counts);
    }

    /** Each fault and its count, in the order of the spec. */
    public Map<TrpFault, Integer> counts() {
        return counts;
    }

    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * Which device shows which fault: in spec order, each fault takes the first K devices of
     * {@code devices} not yet taken.
     *
     * @throws IllegalArgumentException when the spec asks for more faulty devices than there are
     */
    public Map<String, TrpFault> assign(List<String> devices) {
        if (total() > devices.size()) {
            throw new IllegalArgumentException("--faults asks for " + total() + " misbehaving devices but the fleet "
                    + "has " + devices.size());
        }
        Map<String, TrpFault> assigned = new LinkedHashMap<>();
        int next = 0;
        for (var e : counts.entrySet()) {
            for (int i = 0; i < e.getValue(); i++) {
                assigned.put(devices.get(next++), e.getKey());
            }
        }
        return Collections.unmodifiableMap(assigned);
    }

    /** One line saying which devices misbehave how, e.g. {@code refuse-install: P-0001, P-0002; vanish: P-0003}. */
    public static String describe(Map<String, TrpFault> assigned) {
        if (assigned.isEmpty()) {
            return "no faults";
        }
        Map<TrpFault, List<String>> byFault = new LinkedHashMap<>();
        assigned.forEach((d, f) -> byFault.computeIfAbsent(f, k -> new java.util.ArrayList<>()).add(d));
        StringBuilder b = new StringBuilder();
        byFault.forEach((f, ds) -> {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(f.label()).append(": ").append(String.join(", ", ds));
        });
        return b.toString();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        counts.forEach((f, n) -> b.append(b.length() == 0 ? "" : ",").append(f.label()).append('=').append(n));
        return b.toString();
    }
}
