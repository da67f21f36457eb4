package dev.progdist.processors.delivery;

import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.envelope.DeviceKeyMaterial;
import dev.progdist.protocol.program.EnvelopeMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One delivery as it passes through the stages: the exchange body of every delivery route. Each
 * stage takes the context in the {@link Stage} it expects and returns the next one; it never changes
 * the one it got. What the TRP must be sent next is {@link #outgoing()}: only the inner channel
 * turns that into records, after the stage returned.
 *
 * <p>Filled in stage by stage: {@code device} and {@code request} by the inner channel (from the
 * validated certificate and the TRP's Fetch), {@code deliveryId} by program request (the ledger
 * row), {@code assignment} by program request too when the delivery serves a rollout (null otherwise),
 * {@code program} by version resolution, {@code mode} and {@code keyMaterial} by key wrapping,
 * {@code transfer} and {@code serverNonce} by program encryption (which consumes the key material),
 * {@code envelopeSha256} by transmit after the last byte. {@code received} is the TRP message that
 * started the current step (Fetch, DeliveryAck or Receipt).
 *
 * <p>The record is immutable; {@code keyMaterial} and {@code transfer} are handles to secrets and an
 * open stream that only their stages use. {@link #release()} wipes and closes them when the delivery
 * ends, however it ends. {@link #toString()} names no secret.
 */
public record DeliveryContext(DeviceSession device, Request request, Stage stage, ChannelMessage received,
        String deliveryId, RolloutLink.Assignment assignment, ProgramCatalog.ProgramVersion program, EnvelopeMode mode, DeviceKeyMaterial keyMaterial,
        EnvelopeTransfer transfer, String serverNonce, String envelopeSha256, List<ChannelMessage> outgoing) {

    /** Where a delivery stands: the last stage that completed. */
    public enum Stage {
        /** The TRP asked (inner channel). */
        REQUESTED,
        /** The ledger row exists (program request). */
        OPENED,
        /** The device is still trusted (program request). */
        DEVICE_CHECKED,
        /** The session's user may receive the program (entitlement). */
        ENTITLED,
        /** The version is chosen and newer than the TRP's (version resolution). */
        RESOLVED,
        /** The stored publisher signature verifies (publisher-signature check). */
        SIGNATURE_VERIFIED,
        /** Per-device key material exists (key wrapping). */
        KEY_WRAPPED,
        /** The envelope stream is open and DeliveryStart is due (program encryption). */
        ENCRYPTED,
        /** A window went out; the TRP's DeliveryAck is due (transmit). */
        SENDING,
        /** DeliveryEnd went out; the TRP's Receipt is due (transmit). */
        SENT,
        /** The receipt verified and the install is recorded (receipt verification). */
        INSTALLED
    }

    /** What the TRP asked for: a program, a version ({@code ""} for the latest), a mode ({@code ""} for the server's choice). */
    public record Request(String programId, String version, String mode) {
        public Request {
            Objects.requireNonNull(programId, "programId");
            version = version == null ? "" : version;
            mode = mode == null ? "" : mode;
        }

        public static Request of(ChannelMessage.Fetch fetch) {
            return new Request(fetch.programId(), fetch.version(), fetch.mode());
        }
    }

    public DeliveryContext {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(stage, "stage");
        outgoing = List.copyOf(outgoing);
    }

    /** A new delivery, as the inner channel hands it to the program-request stage. */
    public static DeliveryContext requested(DeviceSession device, ChannelMessage.Fetch fetch) {
        return new DeliveryContext(device, Request.of(fetch), Stage.REQUESTED, fetch, null, null, null, null, null, null,
                null, null, List.of());
    }

    /**
     * Refuses to go on unless the delivery is in one of {@code expected}: a TRP message out of
     * turn ({@code protocol-violation}), or stages wired in the wrong order.
     */
    public DeliveryContext require(Stage... expected) {
        if (!Arrays.asList(expected).contains(stage)) {
            throw new DeliveryException(ChannelCode.PROTOCOL_VIOLATION, "no delivery awaits this message");
        }
        return this;
    }

    /** The message the TRP sent for this step, which must be a {@code type}. */
    public <T extends ChannelMessage> T received(Class<T> type) {
        if (!type.isInstance(received)) {
            throw new DeliveryException(ChannelCode.PROTOCOL_VIOLATION, "expected " + type.getSimpleName() + " from the TRP");
        }
        return type.cast(received);
    }

    public boolean finished() {
        return stage == Stage.INSTALLED;
    }

    // ---- the next context: one method per thing a stage adds ----

    public DeliveryContext at(Stage next) {
        return new DeliveryContext(device, request, next, received, deliveryId, assignment, program, mode, keyMaterial, transfer,
                serverNonce, envelopeSha256, outgoing);
    }

    public DeliveryContext opened(String id) {
        return new DeliveryContext(device, request, Stage.OPENED, received, Objects.requireNonNull(id), assignment, program, mode,
                keyMaterial, transfer, serverNonce, envelopeSha256, outgoing);
    }

    /** The delivery serves this rollout assignment ({@link RolloutLink#claim}): its mode is the rollout's. */
    public DeliveryContext linked(RolloutLink.Assignment rollout) {
        return new DeliveryContext(device, request, stage, received, deliveryId, Objects.requireNonNull(rollout),
                program, mode, keyMaterial, transfer, serverNonce, envelopeSha256, outgoing);
    }

    public DeliveryContext resolved(ProgramCatalog.ProgramVersion version) {
        return new DeliveryContext(device, request, Stage.RESOLVED, received, deliveryId, assignment,
                Objects.requireNonNull(version), mode, keyMaterial, transfer, serverNonce, envelopeSha256, outgoing);
    }

    public DeliveryContext keyWrapped(EnvelopeMode envelopeMode, DeviceKeyMaterial keys) {
        return new DeliveryContext(device, request, Stage.KEY_WRAPPED, received, deliveryId, assignment, program,
                Objects.requireNonNull(envelopeMode), Objects.requireNonNull(keys), transfer, serverNonce, envelopeSha256,
                outgoing);
    }

    /** Program encryption consumed the key material: the transfer holds it now. */
    public DeliveryContext encrypted(EnvelopeTransfer envelope, String nonce, ChannelMessage.DeliveryStart start) {
        return new DeliveryContext(device, request, Stage.ENCRYPTED, received, deliveryId, assignment, program, mode, null,
                Objects.requireNonNull(envelope), Objects.requireNonNull(nonce), envelopeSha256, append(start));
    }

    public DeliveryContext windowSent(List<? extends ChannelMessage> chunks) {
        return new DeliveryContext(device, request, Stage.SENDING, received, deliveryId, assignment, program, mode, keyMaterial,
                transfer, serverNonce, envelopeSha256, append(chunks.toArray(new ChannelMessage[0])));
    }

    public DeliveryContext allSent(List<? extends ChannelMessage> chunks, String sha256) {
        List<ChannelMessage> last = new ArrayList<>(chunks);
        last.add(new ChannelMessage.DeliveryEnd(sha256));
        return new DeliveryContext(device, request, Stage.SENT, received, deliveryId, assignment, program, mode, keyMaterial,
                transfer, serverNonce, Objects.requireNonNull(sha256), append(last.toArray(new ChannelMessage[0])));
    }

    public DeliveryContext installed() {
        return new DeliveryContext(device, request, Stage.INSTALLED, received, deliveryId, assignment, program, mode, keyMaterial,
                transfer, serverNonce, envelopeSha256, append(new ChannelMessage.Close()));
    }

    /** The same delivery, started again by the TRP's next message (DeliveryAck or Receipt). */
    public DeliveryContext receiving(ChannelMessage message) {
        return new DeliveryContext(device, request, stage, Objects.requireNonNull(message), deliveryId, assignment, program, mode,
                keyMaterial, transfer, serverNonce, envelopeSha256, List.of());
    }

    /** What the inner channel keeps after it sent {@link #outgoing()}. */
    public DeliveryContext sentOut() {
        return new DeliveryContext(device, request, stage, received, deliveryId, assignment, program, mode, keyMaterial, transfer,
                serverNonce, envelopeSha256, List.of());
    }

    private List<ChannelMessage> append(ChannelMessage... more) {
        List<ChannelMessage> all = new ArrayList<>(outgoing);
        all.addAll(Arrays.asList(more));
        return all;
    }

    /** Wipes the key material and closes the envelope stream, if any (idempotent). */
    public void release() {
        if (keyMaterial != null) {
            keyMaterial.close();
        }
        if (transfer != null) {
            transfer.close();
        }
    }

    @Override
    public String toString() {
        return "DeliveryContext[" + stage + ", delivery " + deliveryId
                + (assignment == null ? "" : " (rollout " + assignment.rolloutId() + ")") + ", device " + device.deviceId() + ", "
                + request.programId() + (program == null ? "" : " " + program.version())
                + (mode == null ? "" : " (" + mode.label() + ")") + ", " + outgoing.size() + " outgoing]";
    }
}
