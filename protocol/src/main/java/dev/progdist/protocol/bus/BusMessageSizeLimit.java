package dev.progdist.protocol.bus;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.Interceptor;
import org.apache.activemq.artemis.core.protocol.core.Packet;
import org.apache.activemq.artemis.core.protocol.core.impl.wireformat.SessionSendContinuationMessage;
import org.apache.activemq.artemis.core.protocol.core.impl.wireformat.SessionSendMessage;
import org.apache.activemq.artemis.core.protocol.core.impl.wireformat.SessionSendLargeMessage;
import org.apache.activemq.artemis.core.remoting.impl.netty.NettyConnection;
import org.apache.activemq.artemis.core.server.plugin.ActiveMQServerConnectionPlugin;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what a TCP client of the device bus can make the broker hold for one message. Artemis
 * has no such setting for its core protocol: its frame decoder accepts frames of up to 2 GiB and a
 * "large message" of any size is streamed to the large-messages directory. So, for every TCP
 * connection (the in-VM client is the gateway itself):
 *
 * <ul>
 * <li>the core frame decoder is replaced, as the connection is created and before its first frame,
 *     by one that refuses a frame longer than the limit (plus {@value #HEADER_ALLOWANCE} bytes
 *     for headers and properties) as soon as it has read the frame's length, without buffering
 *     it, and closes the connection;</li>
 * <li>a message in one frame whose body is over the limit is dropped and the connection failed;</li>
 * <li>the chunks of a large message are counted; once they exceed the limit, the chunk is dropped
 *     and the connection failed (the broker then deletes the partial large-message file).</li>
 * </ul>
 *
 * The sender sees its connection fail; the broker logs
 * {@code Device bus: refused a message of more than <limit> bytes from <address>}.
 */
final class BusMessageSizeLimit implements Interceptor, ActiveMQServerConnectionPlugin {

    private static final Logger LOG = LoggerFactory.getLogger(BusMessageSizeLimit.class);

    /** Frame bytes beyond the body: message headers and properties of a device-bus message. */
    static final int HEADER_ALLOWANCE = 64 * 1024;

    /** Artemis' name for the core protocol's frame decoder in a Netty pipeline. */
    private static final String CORE_DECODER = "activemq-decoder";

    private final long maxBodyBytes;
    /** Body bytes of the large message under way, per TCP connection and session channel. */
    private final Map<String, Long> largeUnderWay = new ConcurrentHashMap<>();

    BusMessageSizeLimit(long maxBodyBytes) {
        if (maxBodyBytes <= 0 || maxBodyBytes > Integer.MAX_VALUE - HEADER_ALLOWANCE) {
            throw new IllegalArgumentException("the device bus message limit must be 1 to "
                    + (Integer.MAX_VALUE - HEADER_ALLOWANCE) + " bytes, not " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void afterCreateConnection(RemotingConnection connection) {
        if (connection.getTransportConnection() instanceof NettyConnection netty
                && netty.getChannel().pipeline().get(CORE_DECODER) != null) {
            netty.getChannel().pipeline().replace(CORE_DECODER, CORE_DECODER,
                    new BoundedFrameDecoder((int) maxBodyBytes + HEADER_ALLOWANCE, maxBodyBytes));
        }
    }

    @Override
    public void afterDestroyConnection(RemotingConnection connection) {
        String prefix = connection.getID() + "/";
        largeUnderWay.keySet().removeIf(k -> k.startsWith(prefix));
    }

    @Override
    public boolean intercept(Packet packet, RemotingConnection connection) {
        if (!(connection.getTransportConnection() instanceof NettyConnection)) {
            return true;
        }
        if (packet instanceof SessionSendMessage send && send.getMessage() != null
                && send.getMessage().getBodyBufferSize() > maxBodyBytes) {
            return refuse(connection);
        }
        if (packet instanceof SessionSendLargeMessage) {
            largeUnderWay.put(connection.getID() + "/" + packet.getChannelID(), 0L);
        } else if (packet instanceof SessionSendContinuationMessage chunk) {
            String key = connection.getID() + "/" + packet.getChannelID();
            byte[] body = chunk.getBody();
            long total = largeUnderWay.merge(key, (long) (body == null ? 0 : body.length), Long::sum);
            if (total > maxBodyBytes) {
                largeUnderWay.remove(key);
                return refuse(connection);
            }
            if (!chunk.isContinues()) {
                largeUnderWay.remove(key);
            }
        }
        return true;
    }

    private boolean refuse(RemotingConnection connection) {
        refused(connection.getRemoteAddress(), maxBodyBytes);
        connection.fail(new ActiveMQException("device bus: a message of more than " + maxBodyBytes
                + " bytes is refused"));
        return false;
    }

    static void refused(Object from, long limit) {
        LOG.warn("Device bus: refused a message of more than {} bytes from {} and closed its connection",
                limit, from);
    }

    /** Artemis' core frame decoder with a maximum frame length (fail fast, nothing buffered). */
    static final class BoundedFrameDecoder extends LengthFieldBasedFrameDecoder {
        private final long limit;

        BoundedFrameDecoder(int maxFrameLength, long limit) {
            super(maxFrameLength, 0, Integer.BYTES, 0, 0, true);
            this.limit = limit;
        }

        @Override
        protected ByteBuf extractFrame(ChannelHandlerContext ctx, ByteBuf buffer, int index, int length) {
            // as ActiveMQFrameDecoder2: a copy (the broker keeps the frame), length prefix skipped
            ByteBuf frame = ctx.alloc().buffer(length);
            frame.writeBytes(buffer, index, length);
            return frame.skipBytes(Integer.BYTES);
        }

        @Override
        protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            try {
                return super.decode(ctx, in);
            } catch (TooLongFrameException e) {
                refused(ctx.channel().remoteAddress(), limit);
                in.skipBytes(in.readableBytes());
                ctx.close();
                return null;
            }
        }
    }
}
