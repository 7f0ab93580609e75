package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frames between build and worker: blob chunks in their own frame among encoded messages. */
class WorkerProtocolTest {

  @Test
  void blobChunksAndMessagesComeBackInOrder() throws IOException {
    byte[] chunk = new byte[256 * 1024];
    new Random(7).nextBytes(chunk);
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    DataOutputStream out = WorkerProtocol.output(pipe);
    WorkerProtocol.write(out, new WorkerProtocol.Output(3, "hello"));
    WorkerProtocol.writeData(out, 3, chunk, 1000, 5000);
    WorkerProtocol.write(out, new WorkerProtocol.Data(4, new byte[] {1, 2, 3}));
    WorkerProtocol.writeData(out, 3, chunk, 0, 0);
    WorkerProtocol.write(out, new WorkerProtocol.Failed(3, 1, "", List.of("x")));

    DataInputStream in = WorkerProtocol.input(new ByteArrayInputStream(pipe.toByteArray()));
    assertThat(WorkerProtocol.read(in)).isEqualTo(new WorkerProtocol.Output(3, "hello"));
    WorkerProtocol.Data d = (WorkerProtocol.Data) WorkerProtocol.read(in);
    assertThat(d.id()).isEqualTo(3);
    assertThat(d.bytes()).isEqualTo(java.util.Arrays.copyOfRange(chunk, 1000, 6000));
    WorkerProtocol.Data small = (WorkerProtocol.Data) WorkerProtocol.read(in);
    assertThat(small.id()).isEqualTo(4);
    assertThat(small.bytes()).containsExactly(1, 2, 3);
    assertThat(((WorkerProtocol.Data) WorkerProtocol.read(in)).bytes()).isEmpty();
    assertThat(WorkerProtocol.read(in)).isInstanceOf(WorkerProtocol.Failed.class);
    assertThat(WorkerProtocol.read(in)).isNull();
  }

  @Test
  void everyMessageComesBackWithEveryField() throws IOException {
    WorkerProtocol.StepSpec spec = new WorkerProtocol.StepSpec(
        List.of("/bin/sh", "-c", "echo \u00e9t\u00e9 > /x"), List.of("PATH=/bin", "E="), "app:staff",
        "/srv", List.of(new WorkerProtocol.LayerRef("/b/1", "sha256:aa"),
            WorkerProtocol.LayerRef.early(9)),
        List.of("type=cache,target=/c"), "none",
        List.of(new WorkerProtocol.Pipe("p0", new byte[] {0, 1, 2}, 0755)), "zstd", 3, -1L,
        new byte[] {9, 8}, java.util.Map.of("passwd", "root:x:0:0\n".getBytes()));
    List<WorkerProtocol.Message> all = List.of(
        new WorkerProtocol.RunRequest(7, spec, true),
        new WorkerProtocol.RunRequest(8, new WorkerProtocol.StepSpec(List.of(), List.of(), "",
            "/", List.of(), List.of(), "default", List.of(), "gzip", 6, Long.MIN_VALUE, null,
            java.util.Map.of()), false),
        new WorkerProtocol.Extract(List.of(new WorkerProtocol.LayerRef("/b/2", "sha256:bb"))),
        new WorkerProtocol.Unpack(8, List.of(new WorkerProtocol.LayerRef("/b/3", "sha256:cc"),
            new WorkerProtocol.LayerRef("/b/4", "sha256:dd"))),
        new WorkerProtocol.Unpacked(8, 2),
        new WorkerProtocol.Cancel(7),
        new WorkerProtocol.PruneRequest(2, List.of("sha256:cc"), 3_600_000, true),
        new WorkerProtocol.Ready(false, "EPERM", 65536),
        new WorkerProtocol.Ready(true, null, 0),
        new WorkerProtocol.Output(7, "x".repeat(70_000)),
        new WorkerProtocol.Ran(7),
        new WorkerProtocol.Done(7, "sha256:dd", "sha256:ee", 123, "application/x", 45,
            new byte[] {4, 5}),
        new WorkerProtocol.Done(7, "sha256:dd", "sha256:ee", 123, "application/x", 45, null),
        new WorkerProtocol.Failed(7, 2, "", List.of("a", "b")),
        new WorkerProtocol.Pruned(2, 1, 3, 4, 5_000_000_000L));
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    DataOutputStream out = WorkerProtocol.output(pipe);
    for (WorkerProtocol.Message m : all) {
      WorkerProtocol.write(out, m);
    }
    DataInputStream in = WorkerProtocol.input(new ByteArrayInputStream(pipe.toByteArray()));
    for (WorkerProtocol.Message m : all) {
      // recursively: the records hold byte arrays, which equals() compares by identity
      assertThat(WorkerProtocol.read(in)).usingRecursiveComparison().isEqualTo(m);
    }
    assertThat(WorkerProtocol.read(in)).isNull();
  }

  @Test
  void aTruncatedOrPaddedFrameIsRefused() throws IOException {
    ByteArrayOutputStream one = new ByteArrayOutputStream();
    WorkerProtocol.write(WorkerProtocol.output(one),
        new WorkerProtocol.Failed(3, 1, "no", List.of("x")));
    byte[] frame = one.toByteArray();
    for (int cut : new int[] {1, 5, 9}) {
      byte[] shorter = java.util.Arrays.copyOf(frame, frame.length - cut);
      // the length prefix says how long the message is: shorten it too, so the frame reads whole
      int len = shorter.length - 4;
      shorter[0] = (byte) (len >>> 24);
      shorter[1] = (byte) (len >>> 16);
      shorter[2] = (byte) (len >>> 8);
      shorter[3] = (byte) len;
      assertThatThrownBy(() -> WorkerProtocol.read(
          WorkerProtocol.input(new ByteArrayInputStream(shorter))))
          .isInstanceOf(IOException.class).hasMessageContaining("bad sandbox worker frame");
    }
    byte[] longer = java.util.Arrays.copyOf(frame, frame.length + 2);
    longer[3] += 2;
    assertThatThrownBy(() -> WorkerProtocol.read(
        WorkerProtocol.input(new ByteArrayInputStream(longer))))
        .isInstanceOf(IOException.class).hasMessageContaining("bytes after its Failed");
  }

  @Test
  void aDataFrameWithANegativeLengthIsRefused() throws IOException {
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(pipe);
    out.writeInt(-1);
    out.writeLong(3);
    out.writeInt(-5);
    DataInputStream in = WorkerProtocol.input(new ByteArrayInputStream(pipe.toByteArray()));
    assertThatThrownBy(() -> WorkerProtocol.read(in)).isInstanceOf(IOException.class)
        .hasMessageContaining("data frame");
  }
}
