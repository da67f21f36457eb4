package dev.progdist.protocol.program;

import java.util.Comparator;
import java.util.regex.Pattern;

/**
 * The one order of program versions, used by the server to pick the latest version and refuse a
 * downgrade, and by the TRP for its rollback protection.
 *
 * <p>A version is split at dots into components. Two components made only of digits compare as
 * numbers ({@code 1.10 > 1.9}); otherwise they compare as strings (code points), and a numeric
 * component sorts before a non-numeric one. When all shared components are equal, the version with
 * more components is the newer ({@code 1.0 < 1.0.1}). Versions that differ only in leading zeros
 * ({@code 1.01} and {@code 1.1}) are equal in this order, so a TRP holding one refuses the other.
 */
public final class ProgramVersions {

    /** Program IDs: what the catalog, the channel and the TRP accept. */
    public static final String PROGRAM_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    /** Version strings: what the catalog, the channel and the TRP accept. */
    public static final String VERSION_PATTERN = "[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}";

    private static final Pattern PROGRAM_ID = Pattern.compile(PROGRAM_ID_PATTERN);
    private static final Pattern VERSION = Pattern.compile(VERSION_PATTERN);
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    /** Oldest first. */
    public static final Comparator<String> ORDER = ProgramVersions::compare;

    private ProgramVersions() {
    }

    public static boolean isProgramId(String s) {
        return s != null && PROGRAM_ID.matcher(s).matches();
    }

    public static boolean isVersion(String s) {
        return s != null && VERSION.matcher(s).matches();
    }

    /** Negative if {@code a} is older than {@code b}, zero if equal in this order, positive if newer. */
    public static int compare(String a, String b) {
        String[] x = a.split("\\.", -1);
        String[] y = b.split("\\.", -1);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = compareComponent(x[i], y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    private static int compareComponent(String a, String b) {
        boolean na = DIGITS.matcher(a).matches();
        boolean nb = DIGITS.matcher(b).matches();
        if (na && nb) {
            String sa = stripZeros(a);
            String sb = stripZeros(b);
            return sa.length() != sb.length() ? Integer.compare(sa.length(), sb.length()) : sa.compareTo(sb);
        }
        if (na != nb) {
            return na ? -1 : 1;
        }
        return a.compareTo(b);
    }

    private static String stripZeros(String digits) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return digits.substring(i);
    }
}
