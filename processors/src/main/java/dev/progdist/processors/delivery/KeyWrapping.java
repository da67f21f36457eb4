package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.envelope.DeviceKeyMaterial;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeSealer;
import dev.progdist.protocol.program.EnvelopeMode;
import java.security.SecureRandom;

/**
 * Stage 5, key wrapping: the per-device key material of the envelope, from the TRP certificate
 * that the second path validated (never from anything the TRP or the gateway merely said). The mode
 * of a delivery that serves a rollout is the rollout's, whatever the Fetch asked (the gateway is
 * untrusted); otherwise the one the TRP asked for, else the program's default, else
 * {@code progdist.delivery.default-mode}. A wrapped rollout delivery wraps the content key of the
 * rollout's one {@link ReleaseCache release} (encrypt once, wrap per device) when a cache is given.
 * {@code wrapped}: a fresh AES-256 content key wrapped to the TRP key (RSA-OAEP, or ECDH + AES key
 * wrap); {@code direct}: a KEM encapsulation to the TRP key, no content key travels. Raises the
 * envelope codes ({@code envelope-unsupported-key}, ...). Sealed.
 */
public class KeyWrapping {

    private final EnvelopeMode defaultMode;
    private final ReleaseCache releases;
    private final SecureRandom random = new SecureRandom();

    /** Every envelope with its own keys, rollout deliveries too. */
    public KeyWrapping(EnvelopeMode defaultMode) {
        this(defaultMode, null);
    }

    /** @param releases the releases of wrapped rollouts; null: every envelope with its own content key */
    public KeyWrapping(EnvelopeMode defaultMode, ReleaseCache releases) {
        this.defaultMode = defaultMode;
        this.releases = releases;
    }

    /** SIGNATURE_VERIFIED → KEY_WRAPPED. */
    public DeliveryContext wrap(DeliveryContext delivery) {
        delivery.require(Stage.SIGNATURE_VERIFIED);
        RolloutLink.Assignment assignment = delivery.assignment();
        String asked = assignment != null ? assignment.mode() : delivery.request().mode();
        EnvelopeMode mode = !asked.isEmpty() ? EnvelopeMode.parse(asked)
                : delivery.program().defaultMode() != null ? delivery.program().defaultMode() : defaultMode;
        try {
            DeviceKeyMaterial keys;
            if (assignment != null && mode == EnvelopeMode.WRAPPED && releases != null) {
                keys = releaseKeys(assignment, delivery);
            } else {
                keys = EnvelopeSealer.forMode(mode, random).wrapKey(delivery.device().certificate(),
                        delivery.program().size());
            }
            return delivery.keyWrapped(mode, keys);
        } catch (EnvelopeException e) {
            throw new DeliveryException(e.reason(), e.getMessage());
        }
    }

    private DeviceKeyMaterial releaseKeys(RolloutLink.Assignment assignment, DeliveryContext delivery)
            throws EnvelopeException {
        try {
            return releases.release(assignment, delivery.program()).wrapKey(delivery.device().certificate());
        } catch (IllegalStateException e) {
            // the rollout ended (its release closed) while this delivery started
            throw new DeliveryException(ChannelCode.ROLLOUT_STOPPED, e.getMessage());
        }
    }
}
