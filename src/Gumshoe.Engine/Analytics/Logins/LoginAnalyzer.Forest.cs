namespace Gumshoe.Engine.Analytics.Logins;

public sealed partial class LoginAnalyzer
{
    // Scores the row with the user's own model when the user has one, else with the organisation's model.
    private (double Score, bool PerUser) ForestScore(LoginProfile p, double[] row)
    {
        if (p.FittedAt > 0 && p.Rows is not null)
        {
            var model = UserModel(p);
            return (model.Score(row), true);
        }
        return _orgModel is null ? (0, false) : (_orgModel.Score(row), false);
    }

    // A user's model is a pure function of the rows before FittedAt and the seed, so a model dropped from the cache is
    // refitted identically: scores never depend on what happened to be cached.
    private IsolationForest UserModel(LoginProfile p)
    {
        if (_models.TryGetValue(p, out var m) && m.FittedAt == p.FittedAt) return m.Model;
        var f = _o.Forest;
        var ring = f.Window + f.RefitEvery;
        var from = Math.Max(0, p.FittedAt - f.Window);
        var count = p.FittedAt - from;
        var data = new double[count * F];
        for (var r = 0; r < count; r++)
        {
            var slot = (from + r) % ring * F;
            for (var i = 0; i < F; i++) data[r * F + i] = p.Rows![slot + i] / 255.0;
        }
        var seed = Mix(_o.Seed ^ Fnv1a(p.User) ^ (ulong)p.FittedAt * 0x9E3779B97F4A7C15UL);
        var model = IsolationForest.Fit(data, F, new IsolationForestOptions { Trees = f.Trees, Subsample = f.Subsample, Seed = seed });
        if (f.MaxModels > 0)
        {
            if (!_models.ContainsKey(p))
            {
                while (_models.Count >= f.MaxModels && _modelOrder.TryDequeue(out var old)) _models.Remove(old);
                _modelOrder.Enqueue(p);
            }
            _models[p] = (p.FittedAt, model);
        }
        return model;
    }

    // Reservoir sampling with a stateless hash in place of a random generator: the reservoir is a function of the
    // login sequence and the seed alone, which keeps restarts and replays identical.
    private void AddOrgRow(double[] row, long ticks)
    {
        var f = _o.Forest;
        var cap = f.OrgReservoir;
        long slot;
        if (_orgRowCount < cap) slot = _orgRowCount++;
        else
        {
            slot = (long)(Mix(_o.Seed ^ 0x5DEECE66DUL ^ (ulong)_orgSeen) % (ulong)(_orgSeen + 1));
            if (slot >= cap) slot = -1;
        }
        if (slot >= 0) Array.Copy(row, 0, _orgRows, slot * F, F);
        _orgSeen++;
        if (_orgRowCount >= MinOrgRows && (_orgModel is null || _orgSeen - _orgFittedAt >= f.OrgRefitEvery)) FitOrg();
    }

    private void FitOrg()
    {
        var f = _o.Forest;
        _orgFits++;
        _orgFittedAt = _orgSeen;
        _orgModel = IsolationForest.Fit(_orgRows.AsSpan(0, _orgRowCount * F), F,
            new IsolationForestOptions { Trees = f.OrgTrees, Subsample = f.OrgSubsample, Seed = Mix(_o.Seed ^ (ulong)_orgFits) });
    }

    private static ulong Fnv1a(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Writes the profiles and the organisation model's reservoir (per-user models are refitted from their rows).</summary>
    public void SaveState(Stream stream)
    {
        _store.Save(stream);
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(F);
        w.Write(_orgRowCount);
        for (var i = 0; i < _orgRowCount * F; i++) w.Write((byte)Math.Round(_orgRows[i] * 255));
        w.Write(_orgSeen); w.Write(_orgFittedAt); w.Write(_orgFits);
        w.Write(_orgModel is not null);
        w.Flush();
        _orgModel?.Save(stream);
    }

    /// <summary>Restores what <see cref="SaveState(Stream)"/> wrote.</summary>
    /// <exception cref="InvalidDataException">Not a snapshot of this analyzer.</exception>
    public void LoadState(Stream stream)
    {
        var store = ProfileStore.Load(stream);
        try
        {
            using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (r.ReadInt32() != F) throw new InvalidDataException("login analyzer snapshot has another feature layout");
            var rows = r.ReadInt32();
            if (rows < 0 || rows > _o.Forest.OrgReservoir) throw new InvalidDataException($"login analyzer snapshot holds {rows} organisation rows, more than org_reservoir");
            var bytes = r.ReadBytes(rows * F);
            if (bytes.Length != rows * F) throw new EndOfStreamException();
            for (var i = 0; i < bytes.Length; i++) _orgRows[i] = bytes[i] / 255.0;
            _orgRowCount = rows;
            _orgSeen = r.ReadInt64(); _orgFittedAt = r.ReadInt64(); _orgFits = r.ReadInt32();
            _orgModel = r.ReadBoolean() ? IsolationForest.Load(stream) : null;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("login analyzer snapshot is cut short");
        }
        _store = store;
        _models.Clear();
        _modelOrder.Clear();
        _cityIds.Clear();
        _deviceIds.Clear();
    }

    /// <summary>Writes the state file named in the options (atomically: a temporary file renamed over the old one).</summary>
    public void SaveState()
    {
        if (_o.StateFile is not { } path) return;
        var tmp = path + ".tmp";
        using (var s = File.Create(tmp))
        {
            SaveState(s);
            s.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
