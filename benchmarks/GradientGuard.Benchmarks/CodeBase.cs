using System.Globalization;

namespace GradientGuard.Benchmarks;

/// <summary>Generated TorchSharp sources: models (Sequential and module classes) and training loops, some risky, most not.</summary>
internal static class CodeBase
{
    public static string File(int i) => (i % 4) switch
    {
        0 => Sequentials(i),
        1 => ModuleClass(i),
        2 => TrainingLoop(i),
        _ => Losses(i),
    };

    /// <summary>An ordinary file of an application with no TorchSharp in it: records, LINQ, loops, strings, exceptions.</summary>
    public static string PlainFile(int i) => string.Format(CultureInfo.InvariantCulture, """
        using System;
        using System.Collections.Generic;
        using System.Globalization;
        using System.Linq;

        namespace Application{0};

        public sealed record Order(int Id, string Customer, decimal Amount, DateTime Placed);

        public sealed class OrderReport
        {{
            private readonly List<Order> orders = new();

            public void Add(Order order)
            {{
                if (order.Amount < 0)
                    throw new ArgumentOutOfRangeException(nameof(order), "An order cannot have a negative amount.");
                orders.Add(order);
            }}

            public IReadOnlyDictionary<string, decimal> TotalsByCustomer() =>
                orders.GroupBy(o => o.Customer).ToDictionary(g => g.Key, g => g.Sum(o => o.Amount));

            public string Summary(DateTime from, DateTime to)
            {{
                var inRange = orders.Where(o => o.Placed >= from && o.Placed < to).OrderByDescending(o => o.Amount).ToList();
                var lines = new List<string>();
                foreach (var order in inRange.Take(10))
                    lines.Add(string.Format(CultureInfo.InvariantCulture, "{{0,6}} {{1,-20}} {{2,10:F2}}", order.Id, order.Customer, order.Amount));
                decimal total = 0;
                for (int k = 0; k < inRange.Count; k++)
                    total += inRange[k].Amount;
                lines.Add($"{{inRange.Count}} orders, {{total.ToString("F2", CultureInfo.InvariantCulture)}} in total");
                return string.Join(Environment.NewLine, lines);
            }}

            public Order? Largest() => orders.Count == 0 ? null : orders.MaxBy(o => o.Amount);
        }}
        """, i);

    private static string Header(int i) => string.Format(CultureInfo.InvariantCulture, """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace Generated{0};

        """, i);

    private static string Sequentials(int i) => Header(i) + """
        public static class Models
        {
            public static Sequential Deep() => nn.Sequential(
                ("fc1", nn.Linear(64, 64)), ("a1", nn.Sigmoid()), ("fc2", nn.Linear(64, 64)), ("a2", nn.Sigmoid()),
                ("fc3", nn.Linear(64, 64)), ("a3", nn.Sigmoid()), ("fc4", nn.Linear(64, 10)));

            public static Sequential Normalized() => nn.Sequential(
                nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 10));

            public static Sequential Listed()
            {
                var layers = new List<nn.Module<Tensor, Tensor>>();
                layers.Add(nn.Linear(32, 32));
                layers.Add(nn.Tanh());
                layers.Add(nn.Linear(32, 32));
                return nn.Sequential(layers);
            }

            public static Sequential Initialized()
            {
                var fc = nn.Linear(128, 128);
                nn.init.kaiming_normal_(fc.weight, nonlinearity: nn.init.NonlinearityType.ReLU);
                return nn.Sequential(fc, nn.ReLU(), nn.Linear(128, 10));
            }
        }
        """;

    private static string ModuleClass(int i) => Header(i) + """
        public sealed class Net : nn.Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = nn.Linear(16, 32), fc2 = nn.Linear(32, 32), fc3 = nn.Linear(32, 1);
            private readonly ModuleList<Linear> blocks = new ModuleList<Linear>();
            private readonly LSTM lstm = nn.LSTM(16, 16);

            public Net() : base("net")
            {
                for (int i = 0; i < 3; i++)
                    blocks.Add(nn.Linear(32, 32));
                nn.init.xavier_uniform_(fc2.weight);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                var h = fc1.call(x).relu();
                for (int i = 0; i < 3; i++)
                    h = blocks[i].call(h).relu();
                h = fc2.call(h).tanh();
                return fc3.call(h);
            }
        }
        """;

    private static string TrainingLoop(int i) => Header(i) + """
        public static class Trainer
        {
            public static void Train(nn.Module<Tensor, Tensor> model, IEnumerable<(Tensor, Tensor)> data, int epochs)
            {
                var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
                var scheduler = optim.lr_scheduler.StepLR(optimizer, 10);
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    foreach (var (x, y) in data)
                    {
                        using var scope = NewDisposeScope();
                        optimizer.zero_grad();
                        var loss = nn.functional.cross_entropy(model.call(x), y);
                        loss.backward();
                        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                        optimizer.step();
                    }
                    scheduler.step();
                }
            }

            public static void Careless(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
            {
                var optimizer = optim.SGD(model.parameters(), 0.1);
                while (true)
                {
                    nn.functional.mse_loss(model.call(x), y).backward();
                    optimizer.step();
                }
            }
        }
        """;

    private static string Losses(int i) => Header(i) + """
        public static class Losses
        {
            public static Tensor Binary(Tensor logits, Tensor y) => nn.functional.binary_cross_entropy(torch.sigmoid(logits), y);
            public static Tensor Stable(Tensor logits, Tensor y) => nn.functional.binary_cross_entropy_with_logits(logits, y);
            public static Tensor LogProbabilities(Tensor x) => torch.log(nn.functional.softmax(x, 1));
            public static Tensor Plain(Tensor x) => x.relu().mean();
        }
        """;
}
