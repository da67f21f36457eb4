package dev.progdist.processors.rollout;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A filter over the device registry: {@code owner=U}, {@code device=GLOB} ({@code *} any run,
 * {@code ?} one character), {@code tag=T} (repeatable, all required); terms separated by spaces or
 * commas and ANDed. Evaluated in SQL for target selection ({@link #where}) and in Java for the
 * explicit groups of a rollout ({@link #matches}), with the same meaning.
 */
public record TargetFilter(String owner, String deviceGlob, List<String> tags) {

    /** Longest filter expression accepted. */
    public static final int MAX_LENGTH = 512;

    private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9_*?-]{1,64}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,31}");

    /** @throws IllegalArgumentException naming the bad term */
    public static TargetFilter parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("the filter is empty: use owner=U, device=GLOB or tag=T");
        }
        if (expression.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the filter is longer than " + MAX_LENGTH + " characters");
        }
        String owner = null;
        String glob = null;
        List<String> tags = new ArrayList<>();
        for (String term : expression.strip().split("[\\s,]+")) {
            int eq = term.indexOf('=');
            String key = eq < 0 ? term : term.substring(0, eq);
            String value = eq < 0 ? "" : term.substring(eq + 1);
            switch (key) {
                case "owner" -> {
                    if (owner != null || !USER.matcher(value).matches()) {
                        throw bad(term, "one owner=USER");
                    }
                    owner = value;
                }
                case "device" -> {
                    if (glob != null || !GLOB.matcher(value).matches()) {
                        throw bad(term, "one device=GLOB of letters, digits, -, _, * and ?");
                    }
                    glob = value;
                }
                case "tag" -> {
                    if (!TAG.matcher(value).matches()) {
                        throw bad(term, "tag=TAG of letters, digits, '.', '-' and '_', at most 32");
                    }
                    if (!tags.contains(value)) {
                        tags.add(value);
                    }
                }
                default -> throw bad(term, "owner=U, device=GLOB or tag=T");
            }
        }
        if (tags.size() > 16) {
            throw new IllegalArgumentException("the filter names more than 16 tags");
        }
        return new TargetFilter(owner, glob, List.copyOf(tags));
    }

    private static IllegalArgumentException bad(String term, String expected) {
        return new IllegalArgumentException("filter term '" + term + "' is not valid: expected " + expected);
    }

    /** The SQL condition over table alias {@code d} ({@code devices}); its parameters go into {@code params}. */
    public String where(List<Object> params) {
        StringBuilder sql = new StringBuilder("1 = 1");
        if (owner != null) {
            sql.append(" AND d.owner_user_id = ?");
            params.add(owner);
        }
        if (deviceGlob != null) {
            sql.append(" AND d.device_id LIKE ? ESCAPE '!'");
            params.add(like(deviceGlob));
        }
        for (String tag : tags) {
            sql.append(" AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.device_id AND t.tag = ?)");
            params.add(tag);
        }
        return sql.toString();
    }

    /** True when a device with this ID, owner and tags passes the filter. */
    public boolean matches(String deviceId, String ownerUserId, Collection<String> deviceTags) {
        return (owner == null || owner.equals(ownerUserId))
                && (deviceGlob == null || globMatches(deviceGlob, deviceId))
                && deviceTags.containsAll(tags);
    }

    /** The expression in its normal form. */
    public String text() {
        List<String> terms = new ArrayList<>();
        if (owner != null) {
            terms.add("owner=" + owner);
        }
        if (deviceGlob != null) {
            terms.add("device=" + deviceGlob);
        }
        tags.forEach(t -> terms.add("tag=" + t));
        return String.join(" ", terms);
    }

    static String like(String glob) {
        StringBuilder b = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> b.append('%');
                case '?' -> b.append('_');
                case '%', '_', '!' -> b.append('!').append(c);
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static boolean globMatches(String glob, String text) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return text != null && text.matches(regex.toString());
    }
}
