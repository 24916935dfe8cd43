Console.WriteLine("rft");
