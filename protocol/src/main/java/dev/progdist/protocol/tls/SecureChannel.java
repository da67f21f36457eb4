package dev.progdist.protocol.tls;

import dev.progdist.protocol.channel.ChannelCodec;
import dev.progdist.protocol.channel.ChannelCodecException;
import dev.progdist.protocol.channel.ChannelMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed messages over a {@link TlsEndpoint}: what both the TRP and the server hold for one second
 * path. A malformed message is as fatal as a bad record: the channel fails with the codec's code.
 */
public final class SecureChannel {

    private final TlsEndpoint tls;
    private final ChannelCodec.Decoder decoder = new ChannelCodec.Decoder();
    private String failureCode;

    public SecureChannel(TlsEndpoint tls) {
        this.tls = tls;
    }

    public TlsEndpoint tls() {
        return tls;
    }

    /** Feeds the peer's bytes and returns the messages they completed (possibly none). */
    public List<ChannelMessage> receive(byte[] bytes) {
        tls.receive(bytes);
        List<ChannelMessage> messages = new ArrayList<>();
        byte[] plain = tls.drainPlaintext();
        if (plain.length == 0 || failureCode != null) {
            return messages;
        }
        try {
            // the decoder bounds its buffer: hand it the plaintext one record's worth at a time
            for (int off = 0; off < plain.length; off += 16 * 1024) {
                decoder.feed(plain, off, Math.min(16 * 1024, plain.length - off));
                ChannelMessage m;
                while ((m = decoder.next()) != null) {
                    messages.add(m);
                }
            }
        } catch (ChannelCodecException e) {
            failureCode = e.code();
            tls.close();
        }
        return messages;
    }

    /** Encrypts and queues one message; only once the channel is open. */
    public void send(ChannelMessage message) {
        tls.send(ChannelCodec.encode(message));
    }

    /** Bytes for the peer. */
    public byte[] drainOutbound() {
        return tls.drainOutbound();
    }

    /** The codec's code if a malformed message ended the channel, else {@code null}. */
    public String codecFailure() {
        return failureCode;
    }

    /** True if the stream ended in the middle of a message. */
    public boolean truncated() {
        // a decoder poisoned by a malformed message has no meaningful partial frame
        return tls.hasPartialRecord() || (failureCode == null && decoder.hasPartialFrame());
    }
}
