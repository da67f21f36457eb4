package dev.progdist.gateway;

import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's check-in over the first path: asks the server whether a rollout offers something
 * to that device and, on an offer, has its TRP fetch exactly that program, version and mode over
 * the second path ({@link ChannelRelay#fetch}). Nothing is decided here on the gateway's word: the
 * server counts only the receipt the TRP signs.
 *
 * <p>Shared by the gateway process ({@link GatewayCheckIn}, all its devices in one session) and
 * the fleet simulator (one instance per device session). Never two check-ins of one device at
 * once (a second call returns {@link Outcome#IN_PROGRESS} at once), and one delivery at a time per
 * instance, that is per session. A server that cannot be reached is simply asked again at the
 * next check-in: the offer waits in the server. Every outcome is logged in one line without
 * secrets: idle check-ins at DEBUG, a repeated refusal or unreachable server at DEBUG after its
 * first WARN, deliveries at INFO (installed) or WARN.
 */
public class DeviceCheckIn {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceCheckIn.class);

    /** How one check-in ended. */
    public enum Outcome {
        /** Nothing offered. */
        IDLE,
        /** Offered, fetched, installed by the TRP and its receipt accepted by the server. */
        INSTALLED,
        /** Offered, but the delivery failed or was refused by either end ({@link Result#code()}). */
        FAILED,
        /** Offered, but the TRP did not answer on the device bus. */
        TRP_SILENT,
        /** The server refused the check-in or the login ({@link Result#code()}). */
        REFUSED,
        /** The server could not be reached (or answered nonsense); asked again next time. */
        UNREACHABLE,
        /** A check-in of this device was still running; nothing done. */
        IN_PROGRESS
    }

    /**
     * @param offer         what the server offered, or {@code null}
     * @param code          the refusal or failure code, or {@code null}
     * @param detail        one line for people, or {@code null}
     * @param checkInAfter  when the server asked to be asked again, or {@code null}
     * @param delivery      how the fetch went, or {@code null} when there was none
     * @param fetchTime     how long the fetch took (second path opened to its end), or {@code null} without one
     */
    public record Result(String deviceId, Outcome outcome, FirstPathClient.Offer offer, String code, String detail,
            Duration checkInAfter, ChannelRelay.Outcome delivery, Duration fetchTime) {
    }

    /** Runs the fetch of an offer; {@link ChannelRelay#fetch(String, ChannelRelay.Fetch)} in production. */
    @FunctionalInterface
    public interface Fetcher {
        ChannelRelay.Outcome fetch(String deviceId, ChannelRelay.Fetch fetch);
    }

    private final SessionKeeper sessions;
    private final FirstPathClient client;
    private final Fetcher fetcher;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Outcome> last = new ConcurrentHashMap<>();
    private final ReentrantLock delivery = new ReentrantLock();

    public DeviceCheckIn(SessionKeeper sessions, FirstPathClient client, ChannelRelay relay) {
        this(sessions, client, relay::fetch);
    }

    public DeviceCheckIn(SessionKeeper sessions, FirstPathClient client, Fetcher fetcher) {
        this.sessions = sessions;
        this.client = client;
        this.fetcher = fetcher;
    }

    /** Checks in for {@code deviceId} and, on an offer, runs its delivery to the end. */
    public Result checkIn(String deviceId) {
        if (!inFlight.add(deviceId)) {
            LOG.debug("Check-in {}: the previous one is still running", deviceId);
            return new Result(deviceId, Outcome.IN_PROGRESS, null, null, null, null, null, null);
        }
        try {
            Result r = run(deviceId);
            log(r);
            return r;
        } finally {
            inFlight.remove(deviceId);
        }
    }

    private Result run(String deviceId) {
        FirstPathClient.CheckIn answer;
        SessionResponse session = null;
        try {
            session = sessions.session();
            answer = client.checkIn(session, deviceId);
        } catch (FirstPathException e) {
            if (session != null && (e.problem() == ProblemType.SESSION_EXPIRED
                    || e.problem() == ProblemType.INVALID_TOKEN)) {
                sessions.forget(session); // logged in again at the next check-in
            }
            return refusal(deviceId, null, e);
        }
        FirstPathClient.Offer offer = answer.offer();
        if (offer == null) {
            return new Result(deviceId, Outcome.IDLE, null, null, null, answer.checkInAfter(), null, null);
        }
        LOG.info("Check-in {}: rollout {} offers {} {}{}; asking the TRP to fetch it", deviceId, offer.rolloutId(),
                offer.programId(), offer.version(), offer.mode() == null ? "" : " (" + offer.mode() + ")");
        delivery.lock();
        long start = System.nanoTime();
        try {
            ChannelRelay.Outcome o = fetcher.fetch(deviceId,
                    new ChannelRelay.Fetch(offer.programId(), offer.version(), offer.mode()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (o.installed()) {
                return new Result(deviceId, Outcome.INSTALLED, offer, null, null, answer.checkInAfter(), o, took);
            }
            return new Result(deviceId, Outcome.FAILED, offer, o.code() == null ? "unknown" : o.code(),
                    o.trpReport().get("progdistChannelDetail"), answer.checkInAfter(), o, took);
        } catch (FirstPathException e) {
            Result r = refusal(deviceId, offer, e);
            return new Result(r.deviceId(), r.outcome(), offer, r.code(), r.detail(), null, null,
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (IllegalStateException e) {
            // the device bus: the TRP is not there or went silent
            return new Result(deviceId, Outcome.TRP_SILENT, offer, "trp-silent", e.getMessage(), answer.checkInAfter(),
                    null, Duration.ofNanos(System.nanoTime() - start));
        } finally {
            delivery.unlock();
        }
    }

    private static Result refusal(String deviceId, FirstPathClient.Offer offer, FirstPathException e) {
        boolean unreachable = e.status() == 0 || e.status() == 200 || e.status() >= 500;
        Outcome outcome = offer != null ? Outcome.FAILED : unreachable ? Outcome.UNREACHABLE : Outcome.REFUSED;
        String code = e.code() != null ? e.code() : unreachable ? "server-unreachable" : "http-" + e.status();
        return new Result(deviceId, outcome, offer, code, e.getMessage(), null, null, null);
    }

    private void log(Result r) {
        Outcome before = last.put(r.deviceId(), r.outcome());
        String offered = r.offer() == null ? "" : "rollout " + r.offer().rolloutId() + ", " + r.offer().programId()
                + " " + r.offer().version() + ": ";
        switch (r.outcome()) {
            case IDLE -> LOG.debug("Check-in {}: nothing offered", r.deviceId());
            case INSTALLED -> LOG.info("Check-in {}: {}installed by the TRP, receipt accepted by the server ({} relay "
                    + "rounds, {} ms)", r.deviceId(), offered, r.delivery().rounds(), r.fetchTime().toMillis());
            case FAILED -> LOG.warn("Check-in {}: {}delivery failed: {}{}", r.deviceId(), offered, r.code(),
                    r.detail() == null ? "" : " (" + oneLine(r.detail()) + ")");
            case TRP_SILENT -> LOG.warn("Check-in {}: {}the TRP did not answer: {}", r.deviceId(), offered,
                    oneLine(r.detail()));
            case REFUSED, UNREACHABLE -> {
                String line = "Check-in {}: " + (r.outcome() == Outcome.REFUSED ? "refused: {}"
                        : "server not reached, trying again at the next check-in: {}");
                if (before == r.outcome()) {
                    LOG.debug(line, r.deviceId(), oneLine(r.detail()));
                } else {
                    LOG.warn(line, r.deviceId(), oneLine(r.detail()));
                }
            }
            default -> { }
        }
    }

    private static String oneLine(String s) {
        String clean = s == null ? "" : s.replaceAll("\\p{Cntrl}", " ");
        return clean.length() > 300 ? clean.substring(0, 300) + "…" : clean;
    }
}
