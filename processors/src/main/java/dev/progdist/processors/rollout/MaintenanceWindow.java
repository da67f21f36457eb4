package dev.progdist.processors.rollout;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daily maintenance window {@code HH:MM-HH:MM} in a time zone, start inclusive, end exclusive;
 * it may wrap midnight ({@code 22:00-04:00}). Outside it no group starts and no offer is given.
 * A window whose start equals its end would never open (or never close) and is refused.
 */
public record MaintenanceWindow(LocalTime start, LocalTime end, ZoneId zone) {

    private static final Pattern FORM = Pattern.compile("([01]\\d|2[0-3]):([0-5]\\d)-([01]\\d|2[0-3]):([0-5]\\d)");

    /**
     * @param zone null or blank for UTC
     * @throws IllegalArgumentException naming what is wrong
     */
    public static MaintenanceWindow parse(String window, String zone) {
        Matcher m = FORM.matcher(window == null ? "" : window.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("window '" + window + "' is not HH:MM-HH:MM");
        }
        LocalTime s = LocalTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        LocalTime e = LocalTime.of(Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)));
        if (s.equals(e)) {
            throw new IllegalArgumentException("window '" + window + "' starts where it ends, so it never opens");
        }
        return new MaintenanceWindow(s, e, zone(zone));
    }

    /** @throws IllegalArgumentException for an unknown zone */
    public static ZoneId zone(String zone) {
        if (zone == null || zone.isBlank()) {
            return ZoneId.of("UTC");
        }
        try {
            return ZoneId.of(zone.strip());
        } catch (DateTimeException | IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown time zone '" + zone + "'");
        }
    }

    /** The window of a stored rollout; null when it has none (always open). */
    static MaintenanceWindow stored(String start, String end, String zone) {
        if (start == null || end == null) {
            return null;
        }
        try {
            return new MaintenanceWindow(LocalTime.parse(start), LocalTime.parse(end), zone(zone));
        } catch (DateTimeParseException e) {
            throw new IllegalStateException("stored window " + start + "-" + end + " is not valid", e);
        }
    }

    /** True for a null window (none) or an instant inside it. */
    static boolean isOpen(MaintenanceWindow w, Instant at) {
        return w == null || w.contains(at);
    }

    public boolean contains(Instant at) {
        LocalTime t = at.atZone(zone).toLocalTime();
        return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end)
                : !t.isBefore(start) || t.isBefore(end);
    }

    /** {@code HH:MM-HH:MM}. */
    public String text() {
        return start + "-" + end;
    }
}
